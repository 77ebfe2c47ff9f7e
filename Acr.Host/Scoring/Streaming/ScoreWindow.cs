namespace Acr.Host.Scoring.Streaming;

/// <summary>
/// One window of consecutive rows on its way through the pipeline: read (standardized features, labels), planned
/// (scoring positions, batches), scored (scores in file order), written; then reused for a later window.
/// </summary>
internal sealed class ScoreWindow
{
    public ScoreWindow(int capacity, int features, bool labels)
    {
        Capacity = capacity;
        Features = new float[(long)capacity * features];
        Gathered = new float[(long)capacity * features];
        Labels = labels ? new string[capacity] : null;
        Positions = new int[capacity];
        BatchOfRow = new int[capacity];
        Scores = new float[capacity];
        Scratch = new float[capacity];
    }

    /// <summary>Most rows the window holds.</summary>
    public int Capacity { get; }

    /// <summary>File row (0-based) of the window's first row.</summary>
    public long FirstRow { get; set; }

    /// <summary>Rows in the window.</summary>
    public int Rows { get; set; }

    /// <summary>Standardized features, row-major in file order, model feature order.</summary>
    public float[] Features { get; }

    /// <summary>Features gathered into scoring order (scratch of the scorer).</summary>
    public float[] Gathered { get; }

    /// <summary>Label of each row, or null.</summary>
    public string?[]? Labels { get; }

    /// <summary>The window row at each scoring position.</summary>
    public int[] Positions { get; }

    /// <summary>Rows per batch, in scoring order.</summary>
    public int[] Lengths { get; set; } = [];

    /// <summary>The id of each batch.</summary>
    public string[] BatchIds { get; set; } = [];

    /// <summary>The batch (index into <see cref="Lengths"/>) of each row, in file order.</summary>
    public int[] BatchOfRow { get; }

    /// <summary>The score of each row, in file order.</summary>
    public float[] Scores { get; }

    /// <summary>Scores in scoring order (scratch of the scorer).</summary>
    public float[] Scratch { get; }
}
