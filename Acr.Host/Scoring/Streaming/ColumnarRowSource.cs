namespace Acr.Host.Scoring.Streaming;

/// <summary>
/// The common part of the columnar sources (Parquet row groups, Arrow record batches): column roles resolved as for CSV
/// (a name, or a 0-based index, negative from the end), one chunk of columns decoded at a time, rows served from it.
/// </summary>
internal abstract class ColumnarRowSource : IRowSource
{
    private readonly CsvReadOptions _options;
    private int[] _featureColumns = [];
    private int[] _selected = [];
    private int _label = -1;
    private int _group = -1;
    private float[][] _chunk = [];
    private string?[]? _labels;
    private string?[]? _groups;
    private int _rows;
    private int _next;
    private long _row;

    protected ColumnarRowSource(string source, CsvReadOptions options)
    {
        Source = source;
        _options = options;
    }

    public string Source { get; }

    public IReadOnlyList<string> FeatureNames { get; private set; } = [];

    public bool HasLabels => _label >= 0;

    public bool HasGroups => _group >= 0;

    /// <summary>The file's column names, in order.</summary>
    protected abstract IReadOnlyList<string> ColumnNames { get; }

    /// <summary>What the file format is called in messages.</summary>
    protected abstract string FormatName { get; }

    public void SelectColumns(int[] dataFeatureOfModelFeature) => _selected = [.. dataFeatureOfModelFeature.Select(f => _featureColumns[f])];

    public bool ReadRow(Span<float> features, out string? label, out string? group)
    {
        while (_next == _rows)
        {
            _chunk = new float[_selected.Length][];
            if (!NextChunk(_selected, _label, _group, _chunk, out _labels, out _groups, out _rows))
            {
                label = group = null;
                return false;
            }

            _next = 0;
        }

        for (var j = 0; j < _selected.Length; j++)
        {
            var v = _chunk[j][_next];
            if (!float.IsFinite(v))
            {
                throw new AcrDataException(
                    $"Data file '{Source}': row {_row + 1}, column '{ColumnNames[_selected[j]]}': {(float.IsNaN(v) ? "the value is missing or NaN" : "the value is infinite or outside the range of a 32-bit float")}; clean or impute the data, or use --drop {ColumnNames[_selected[j]]} to leave the column out");
            }

            features[j] = v;
        }

        label = _labels?[_next] ?? (HasLabels ? throw Empty("label", _label) : null);
        group = _groups?[_next] ?? (HasGroups ? throw Empty("group", _group) : null);
        _next++;
        _row++;
        return true;
    }

    public abstract void Dispose();

    /// <summary>Resolves the roles of the columns; call once the column names are known.</summary>
    /// <param name="isNumeric">Whether a column can be a feature.</param>
    protected void ResolveColumns(Func<int, bool> isNumeric)
    {
        var names = ColumnNames;
        if (names.Count == 0)
        {
            throw new AcrDataException($"Data file '{Source}' has no columns");
        }

        _label = _options.LabelColumn is null ? -1 : Resolve(_options.LabelColumn, "label column", "--label");
        _group = _options.GroupColumn is null ? -1 : Resolve(_options.GroupColumn, "group column", "--group");
        if (_label >= 0 && _label == _group)
        {
            throw new AcrDataException($"Data file '{Source}': the label column and the group column are both '{names[_label]}'; choose different columns");
        }

        var excluded = new HashSet<int>(_options.Drop.Select(d => Resolve(d, "column to drop", "--drop"))) { _label, _group };
        _featureColumns = [.. Enumerable.Range(0, names.Count).Where(c => !excluded.Contains(c))];
        if (_featureColumns.Length == 0)
        {
            throw new AcrDataException($"Data file '{Source}' has no feature columns left: all {names.Count} columns are the label, the group or dropped; drop fewer columns");
        }

        var text = _featureColumns.Where(c => !isNumeric(c)).ToArray();
        if (text.Length > 0)
        {
            var listed = string.Join(", ", text.Take(10).Select(c => $"'{names[c]}'"));
            var hint = _options.LabelColumn is null ? $" Pass --label COL naming the class column (e.g. --label {names[text[0]]}), or" : string.Empty;
            throw new AcrDataException(
                $"Data file '{Source}': {(text.Length == 1 ? "column" : $"{text.Length} columns")} {listed}{(text.Length > 10 ? " …" : string.Empty)} {(text.Length == 1 ? "is" : "are")} not numeric.{hint} leave {(text.Length == 1 ? "it" : "them")} out with {string.Join(" ", text.Take(10).Select(c => $"--drop {names[c]}"))}; feature columns must be numbers");
        }

        FeatureNames = [.. _featureColumns.Select(c => names[c])];
    }

    /// <summary>Decodes the next chunk.</summary>
    /// <param name="features">The feature columns to decode.</param>
    /// <param name="label">The label column, or -1.</param>
    /// <param name="group">The group column, or -1.</param>
    /// <param name="columns">Receives one decoded column per entry of <paramref name="features"/> (NaN where a value is missing).</param>
    /// <param name="labels">The labels (null where missing), or null without a label column.</param>
    /// <param name="groups">The groups (null where missing), or null without a group column.</param>
    /// <param name="rows">Rows in the chunk.</param>
    /// <returns>False at the end.</returns>
    protected abstract bool NextChunk(int[] features, int label, int group, float[][] columns, out string?[]? labels, out string?[]? groups, out int rows);

    private AcrDataException Empty(string role, int column) =>
        new($"Data file '{Source}': row {_row + 1}, {role} column '{ColumnNames[column]}' is empty; every row needs a {role}: fill it in or remove the row");

    private int Resolve(string reference, string role, string option)
    {
        var names = ColumnNames;
        var trimmed = reference.Trim();
        var first = names.ToList().IndexOf(trimmed);
        if (first >= 0)
        {
            if (names.ToList().LastIndexOf(trimmed) != first)
            {
                throw new AcrDataException($"Data file '{Source}': the {role} name '{trimmed}' appears more than once; refer to it by 0-based index instead ({option} {first})");
            }

            return first;
        }

        if (int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var raw))
        {
            var index = raw < 0 ? raw + names.Count : raw;
            if (index >= 0 && index < names.Count)
            {
                return index;
            }

            throw new AcrDataException($"Data file '{Source}': {role} index {raw} is out of range; the file has {names.Count} columns (0..{names.Count - 1}, or -{names.Count}..-1 counting from the end)");
        }

        var near = names.FirstOrDefault(n => string.Equals(n, trimmed, StringComparison.OrdinalIgnoreCase));
        var listed = string.Join(", ", names.Take(40)) + (names.Count > 40 ? $", … ({names.Count - 40} more)" : string.Empty);
        throw new AcrDataException(
            $"Data file '{Source}': {role} '{trimmed}' not found. Available columns: {listed}.{(near is null ? string.Empty : $" Did you mean '{near}'? Names are case-sensitive.")} Pass a column name or a 0-based index to {option}.");
    }
}
