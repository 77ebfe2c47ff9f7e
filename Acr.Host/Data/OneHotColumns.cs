namespace Acr.Host.Data;

/// <summary>
/// Collects the values of a file's categorical columns while <see cref="CsvDatasetReader"/> reads it, then one-hot
/// encodes them into the feature matrix in place of their columns (see <see cref="CategoricalColumn"/>).
/// </summary>
internal sealed class OneHotColumns
{
    private const int MaxValueEcho = 40;

    private readonly string _source;
    private readonly Column[] _columns;

    /// <param name="source">The data's name, for messages.</param>
    /// <param name="columns">Per categorical column: its file column, its name, its position among the feature columns, and the model's categories when scoring.</param>
    public OneHotColumns(string source, IEnumerable<(int FileColumn, string Name, int FeatureIndex, CategoricalColumn? Known)> columns)
    {
        _source = source;
        _columns = [.. columns.Select(c => new Column(c.FileColumn, c.Name, c.FeatureIndex, c.Known))];
    }

    /// <summary>The file columns that are categorical.</summary>
    public IEnumerable<int> FileColumns => _columns.Select(c => c.FileColumn);

    public int Count => _columns.Length;

    /// <summary>Records this row's value of every categorical column.</summary>
    public void Add(CsvRecordReader csv, int row, long line)
    {
        foreach (var c in _columns)
        {
            var text = csv.Field(c.FileColumn).Trim();
            if (CsvDatasetReader.IsMissing(text))
            {
                c.Codes.Add(-1);
                continue;
            }

            var lookup = c.Lookup;
            if (!lookup.TryGetValue(text, out var code))
            {
                if (c.Values.Count == CategoricalColumn.MaxCategories + (c.Known?.Categories.Count ?? 0))
                {
                    throw new AcrDataException(
                        $"Data file '{_source}': categorical column '{c.Name}' has more than {CategoricalColumn.MaxCategories} distinct values (row {row}, line {line}); " +
                        "a column with that many is an identifier or free text, not a category: --drop it, or leave it out of --categorical");
                }

                code = c.Values.Count;
                var value = text.ToString();
                c.Values.Add(value);
                lookup[value] = code;
                c.FirstRow.Add(row);
            }

            c.Codes.Add(code);
        }
    }

    /// <summary>
    /// The feature matrix with every categorical column replaced by its one-hot features, in file column order.
    /// </summary>
    /// <param name="numeric">The numeric features, row-major, <paramref name="rows"/> × numeric columns.</param>
    /// <param name="rows">Rows read.</param>
    /// <param name="remaining">Every feature column of the file (numeric and categorical), in order.</param>
    /// <param name="name">The feature name of a numeric file column.</param>
    /// <param name="distributions">Each row's distribution (group, else label), or null.</param>
    /// <param name="options">The read options (which distributions train; where warnings go).</param>
    public (float[] Features, string[] Names, CategoricalColumn[] Columns) Expand(
        float[] numeric, int rows, int[] remaining, Func<int, string> name, string[]? distributions, CsvReadOptions options)
    {
        var training = TrainingRows(rows, distributions, options);
        var encoded = _columns.Select(c => Categories(c, training, options)).ToArray();
        var byFileColumn = _columns.Select((c, k) => (c.FileColumn, k)).ToDictionary(t => t.FileColumn, t => t.k);

        var names = new List<string>();
        var width = 0L;
        foreach (var col in remaining)
        {
            if (byFileColumn.TryGetValue(col, out var k))
            {
                names.AddRange(Enumerable.Range(0, encoded[k].Column.Categories.Count).Select(encoded[k].Column.FeatureName));
                width += encoded[k].Column.Categories.Count;
            }
            else
            {
                names.Add(name(col));
                width++;
            }
        }

        if (width == 0)
        {
            throw new AcrDataException($"Data file '{_source}' has no features: its categorical columns have no categories in the training rows; drop them or use other data");
        }

        if (width * rows > Array.MaxLength)
        {
            throw new AcrDataException($"Data file '{_source}': one-hot encoding makes {rows} rows × {width} features, more than {Array.MaxLength} values; encode fewer columns");
        }

        var d = (int)width;
        var dNumeric = remaining.Length - _columns.Length;
        var features = new float[(long)rows * d];
        for (var r = 0; r < rows; r++)
        {
            var at = r * d;
            var j = 0;
            foreach (var col in remaining)
            {
                if (byFileColumn.TryGetValue(col, out var k))
                {
                    var code = _columns[k].Codes[r];
                    var category = code < 0 ? -1 : encoded[k].Map[code];
                    if (category >= 0)
                    {
                        features[at + category] = 1;
                    }

                    at += encoded[k].Column.Categories.Count;
                }
                else
                {
                    features[at++] = numeric[(r * dNumeric) + j++];
                }
            }
        }

        return (features, [.. names], [.. encoded.Select(e => e.Column)]);
    }

    private static bool[]? TrainingRows(int rows, string[]? distributions, CsvReadOptions options)
    {
        if (options.KnownCategories is not null || options.CategoryDistributions is null || distributions is null)
        {
            return null;
        }

        var distinct = distributions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var train = new HashSet<string>(options.CategoryDistributions(distinct), StringComparer.Ordinal);
        var mask = new bool[rows];
        for (var r = 0; r < rows; r++)
        {
            mask[r] = train.Contains(distributions[r]);
        }

        return mask;
    }

    /// <summary>The column's categories (the model's, or those its training rows hold) and the map from collected value codes to them.</summary>
    private (CategoricalColumn Column, int[] Map) Categories(Column c, bool[]? training, CsvReadOptions options)
    {
        CategoricalColumn column;
        if (c.Known is { } known)
        {
            column = known with { Column = c.Name, FeatureIndex = c.FeatureIndex };
        }
        else
        {
            var used = new bool[c.Values.Count];
            for (var r = 0; r < c.Codes.Count; r++)
            {
                if (c.Codes[r] >= 0 && (training is null || training[r]))
                {
                    used[c.Codes[r]] = true;
                }
            }

            string[] categories = [.. c.Values.Where((_, i) => used[i])];
            Array.Sort(categories, StringComparer.Ordinal);
            column = new CategoricalColumn(c.Name, c.FeatureIndex, categories);
        }

        var map = c.Values.Select(column.IndexOf).ToArray();
        var unseen = Enumerable.Range(0, c.Values.Count).Where(i => map[i] < 0).ToArray();
        if (unseen.Length > 0 && options.Warn is { } warn)
        {
            var rowsUnseen = c.Codes.Count(code => code >= 0 && map[code] < 0);
            var first = unseen.MinBy(i => c.FirstRow[i]);
            var shown = c.Values[first].Length <= MaxValueEcho ? c.Values[first] : string.Concat(c.Values[first].AsSpan(0, MaxValueEcho), "…");
            var why = c.Known is not null ? "the model did not see in training" : "does not occur in the training rows";
            warn($"'{_source}': categorical column '{c.Name}': {rowsUnseen} row{(rowsUnseen == 1 ? "" : "s")} hold{(rowsUnseen == 1 ? "s" : "")} " +
                $"{unseen.Length} value{(unseen.Length == 1 ? "" : "s")} that {why} (first '{shown}', row {c.FirstRow[first]}); " +
                "they are encoded as all zeros (no category)");
        }

        return (column, map);
    }

    private sealed class Column(int fileColumn, string name, int featureIndex, CategoricalColumn? known)
    {
        public int FileColumn { get; } = fileColumn;

        public string Name { get; } = name;

        public int FeatureIndex { get; } = featureIndex;

        public CategoricalColumn? Known { get; } = known;

        public List<int> Codes { get; } = [];

        public List<string> Values { get; } = [];

        public List<int> FirstRow { get; } = [];

        public Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; } =
            new Dictionary<string, int>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }
}
