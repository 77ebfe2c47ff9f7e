namespace Acr.Host.Scoring.Streaming;

/// <summary>Rows of a data file, read one at a time in file order, so that no file is ever held whole.</summary>
internal interface IRowSource : IDisposable
{
    /// <summary>The file, for messages.</summary>
    string Source { get; }

    /// <summary>The data's feature names, in its column order.</summary>
    IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Whether the data named its columns (a header); without one, columns are matched to the model's in order.</summary>
    bool HasHeader => true;

    /// <summary>Whether rows have a label.</summary>
    bool HasLabels { get; }

    /// <summary>Whether rows have a group.</summary>
    bool HasGroups { get; }

    /// <summary>Chooses, once before the first <see cref="ReadRow"/>, which data feature feeds each model feature.</summary>
    /// <param name="dataFeatureOfModelFeature">The data feature (index into <see cref="FeatureNames"/>) of each model feature.</param>
    void SelectColumns(int[] dataFeatureOfModelFeature);

    /// <summary>Reads the next row.</summary>
    /// <param name="features">One slot per model feature: receives the raw (not standardized) values, in model order.</param>
    /// <param name="label">The row's label, or null without labels (equal labels may share one string).</param>
    /// <param name="group">The row's group, or null without groups (equal groups share one string).</param>
    /// <returns>False at the end of the data.</returns>
    /// <exception cref="AcrDataException">The row is malformed: the message names its row, column and the fix.</exception>
    bool ReadRow(Span<float> features, out string? label, out string? group);
}

/// <summary>Shares equal strings (labels, groups) so that a file of repeated labels allocates each once; caps its size.</summary>
internal sealed class StringPool
{
    private const int MaxEntries = 1 << 16;
    private readonly Dictionary<string, string> _pool = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public StringPool() => _lookup = _pool.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The pooled string equal to <paramref name="text"/>; a new one once the pool is full.</summary>
    public string Get(ReadOnlySpan<char> text)
    {
        if (_lookup.TryGetValue(text, out var value))
        {
            return value;
        }

        value = text.ToString();
        if (_pool.Count < MaxEntries)
        {
            _pool[value] = value;
        }

        return value;
    }
}
