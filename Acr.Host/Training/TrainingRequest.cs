namespace Acr.Host.Training;

/// <summary>What to meta-train: the detector and its options, the training distributions, the seed and the schedule.</summary>
public sealed record TrainingRequest
{
    /// <summary>The detector's name (a plugin registers it), <c>deep-svdd</c> by default.</summary>
    public string Detector { get; init; } = "deep-svdd";

    /// <summary>Detector options given by the user (the detector's defaults fill in the rest; an unknown key is refused).</summary>
    public IReadOnlyDictionary<string, string> DetectorOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>The distributions to train on (values of the group column, else of the label column); null for all.</summary>
    public IReadOnlyList<string>? TrainClasses { get; init; }

    /// <summary>The seed: the same seed on the same CPU backend gives a bit-identical model.</summary>
    public ulong Seed { get; init; }

    /// <summary>Iterations, tasks, optimizer and the loss-read interval.</summary>
    public MetaTrainingOptions Training { get; init; } = new();

    /// <summary>Checkpoints to write and resume from (see <see cref="TrainingCheckpoint"/>); null for none.</summary>
    public TrainingCheckpointOptions? Checkpoint { get; init; }
}
