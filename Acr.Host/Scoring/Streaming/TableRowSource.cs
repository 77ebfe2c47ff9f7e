namespace Acr.Host.Scoring.Streaming;

/// <summary>A data set already in memory (IDX images), read row by row like a file.</summary>
/// <param name="data">The data.</param>
internal sealed class TableRowSource(TabularDataset data) : IRowSource
{
    private int[] _columns = [];
    private int _row;

    public string Source => data.Source;

    public IReadOnlyList<string> FeatureNames => data.FeatureNames;

    /// <inheritdoc />
    public bool HasHeader => data.HasHeader;

    public bool HasLabels => data.Labels is not null;

    public bool HasGroups => data.Groups is not null;

    public void SelectColumns(int[] dataFeatureOfModelFeature) => _columns = dataFeatureOfModelFeature;

    public bool ReadRow(Span<float> features, out string? label, out string? group)
    {
        if (_row == data.Rows)
        {
            label = group = null;
            return false;
        }

        var row = data.GetRow(_row);
        for (var j = 0; j < _columns.Length; j++)
        {
            features[j] = row[_columns[j]];
        }

        label = data.Labels?[_row];
        group = data.Groups?[_row];
        _row++;
        return true;
    }

    public void Dispose()
    {
    }
}
