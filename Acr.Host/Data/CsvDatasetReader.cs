using System.Text;

namespace Acr.Host.Data;

/// <summary>
/// Reads a CSV (or gzip-compressed CSV) file of numeric features, with an optional label column
/// and group column, into a <see cref="TabularDataset"/>.
/// </summary>
/// <remarks>
/// <para>Fields may be quoted (<c>"..."</c>, with <c>""</c> for a quote inside); LF and CRLF line
/// endings, blank lines, a UTF-8 byte order mark and whitespace around fields are accepted. Every
/// row must have as many fields as the first row.</para>
/// <para>Feature values are parsed as <see cref="float"/> with the invariant culture (a <c>.</c>
/// decimal point, optional exponent). Missing, non-numeric, NaN, infinite and out-of-range values
/// are errors: the reader never guesses. Labels and groups are kept as trimmed strings. Text columns named by
/// <see cref="CsvReadOptions.Categorical"/> (or found by <see cref="CsvReadOptions.CategoricalAuto"/>) are one-hot
/// encoded in place (see <see cref="CategoricalColumn"/>).</para>
/// <para>Text is strict UTF-8 unless <see cref="CsvReadOptions.Encoding"/> says Latin-1; an invalid byte is an error
/// giving its offset and both fixes.</para>
/// <para>Rows in messages are 1-based data rows (the header does not count); the line in the file
/// is given as well.</para>
/// </remarks>
public static class CsvDatasetReader
{
    private const int MaxValueEcho = 40;
    private const int MaxColumnsListed = 40;
    private const int MaxBadColumnsListed = 10;

    /// <summary>Reads a <c>.csv</c> or <c>.csv.gz</c> file.</summary>
    /// <param name="path">The file. Gzip compression is recognized by its magic bytes.</param>
    /// <param name="options">How to interpret the file; <see langword="null"/> for the defaults (no label, auto-detected header).</param>
    /// <returns>The data set; its <see cref="TabularDataset.Source"/> is <paramref name="path"/>.</returns>
    /// <exception cref="AcrDataException">The file is missing, unreadable, empty or malformed, or the options do not fit it.</exception>
    public static TabularDataset Read(string path, CsvReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new AcrDataException($"Data path '{path}' is a directory; pass a .csv or .csv.gz file");
        }

        if (!File.Exists(path))
        {
            throw new AcrDataException($"Data file '{path}' not found (working directory: '{Environment.CurrentDirectory}'); check the path");
        }

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AcrDataException($"Data file '{path}' cannot be opened: {ex.Message} (check its permissions)", ex);
        }

        using (stream)
        {
            return ReadFromStream(stream, path, options);
        }
    }

    /// <summary>Reads CSV (or gzip-compressed CSV) text from a stream, e.g. an embedded resource.</summary>
    /// <param name="stream">The data; read to its end but not disposed. Gzip compression is recognized by its magic bytes.</param>
    /// <param name="sourceName">A name for the data used in messages and as <see cref="TabularDataset.Source"/>.</param>
    /// <param name="options">How to interpret the data; <see langword="null"/> for the defaults.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="AcrDataException">The data is empty or malformed, or the options do not fit it.</exception>
    public static TabularDataset ReadFromStream(Stream stream, string sourceName, CsvReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= new CsvReadOptions();
        ValidateOptions(options);

        try
        {
            Stream text = OpenText(stream, out bool ownsText);
            try
            {
                var counted = new ByteCountingStream(text);
                using var reader = new StreamReader(counted, options.Encoding == CsvTextEncoding.Latin1 ? Encoding.Latin1 : StrictUtf8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
                try
                {
                    TextReader input = reader;
                    if (options.Delimiter is null)
                    {
                        var head = new char[DetectionChars];
                        var n = reader.ReadBlock(head);
                        options = options with { Delimiter = DetectDelimiter(head.AsSpan(0, n), sourceName) };
                        input = new PrefixedTextReader(head.AsMemory(0, n), reader);
                    }

                    return Parse(new CsvRecordReader(input, options.Delimiter!.Value, sourceName), sourceName, options);
                }
                catch (DecoderFallbackException ex)
                {
                    throw NotUtf8(sourceName, ex, counted.LastReadStart, text is CheckedGzipStream);
                }
            }
            finally
            {
                if (ownsText)
                {
                    text.Dispose();
                }
            }
        }
        catch (InvalidDataException ex)
        {
            throw new AcrDataException($"Data file '{sourceName}' is gzip-compressed but cannot be decompressed: {ex.Message}; re-create or re-download it", ex);
        }
        catch (IOException ex)
        {
            throw new AcrDataException($"Data file '{sourceName}' cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>How much text delimiter detection looks at: the first line and the second, within this many characters.</summary>
    private const int DetectionChars = 1 << 16;

    /// <summary>The delimiters detection chooses from.</summary>
    private static readonly char[] DelimiterCandidates = [',', ';', '\t', '|'];

    /// <summary>Detects the delimiter from the first two lines of <paramref name="head"/> (see <see cref="CsvReadOptions.Delimiter"/>).</summary>
    internal static char DetectDelimiter(ReadOnlySpan<char> head, string source)
    {
        var lines = new List<string>(2);
        foreach (var range in head.Split('\n'))
        {
            var line = head[range].TrimEnd('\r');
            if (!line.IsWhiteSpace())
            {
                lines.Add(line.ToString());
                if (lines.Count == 2)
                {
                    break;
                }
            }
        }

        if (lines.Count == 0)
        {
            return ',';
        }

        var counts = DelimiterCandidates.Select(c => (Delimiter: c, First: CountOutsideQuotes(lines[0], c), Second: lines.Count > 1 ? CountOutsideQuotes(lines[1], c) : -1)).ToArray();
        var present = counts.Where(c => c.First > 0).ToArray();
        if (present.Length == 0)
        {
            return ',';
        }

        if (present.Length == 1)
        {
            return present[0].Delimiter;
        }

        var consistent = present.Where(c => c.Second == c.First).ToArray();
        if (consistent.Length == 1)
        {
            return consistent[0].Delimiter;
        }

        var listed = string.Join(", ", present.Select(c => $"{c.First} × {Name(c.Delimiter)}"));
        var options = string.Join(" or ", present.Select(c => $"--delimiter {Option(c.Delimiter)}"));
        throw new AcrDataException(
            $"Data file '{source}': cannot tell the delimiter from the first line, which has {listed}{(lines.Count > 1 ? " (and the second line does not settle it)" : string.Empty)}; pass {options}");
    }

    private static int CountOutsideQuotes(string line, char c)
    {
        var count = 0;
        var quoted = false;
        foreach (var ch in line)
        {
            if (ch == '"')
            {
                quoted = !quoted;
            }
            else if (ch == c && !quoted)
            {
                count++;
            }
        }

        return count;
    }

    private static string Name(char c) => c == '\t' ? "tab" : $"'{c}'";

    private static string Option(char c) => c switch
    {
        '\t' => "tab",
        ';' or '|' => $"'{c}'",
        _ => c.ToString(),
    };

    /// <summary>UTF-8 that throws on an invalid byte sequence instead of decoding it as U+FFFD.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static AcrDataException NotUtf8(string source, DecoderFallbackException ex, long chunkStart, bool gzip)
    {
        var offset = Math.Max(0, chunkStart + ex.Index);
        var bytes = ex.BytesUnknown is { Length: > 0 } unknown ? string.Join(" ", unknown.Select(b => $"0x{b:X2}")) : "an invalid sequence";
        var latin1 = ex.BytesUnknown is { Length: > 0 } u && u[0] >= 0xA0 ? " (a Latin-1 / Windows-1252 accented letter, probably)" : string.Empty;
        var where = gzip ? "of the decompressed text" : "in the file";
        var name = Path.GetFileName(source);
        var stem = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name;
        stem = stem.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? stem[..^4] : stem;
        var convert = gzip ? $"zcat {name} | iconv -f latin1 -t utf-8 > {stem}-utf8.csv" : $"iconv -f latin1 -t utf-8 {name} > {stem}-utf8.csv";
        return new AcrDataException(
            $"Data file '{source}' is not valid UTF-8: byte {bytes}{latin1} at offset {offset} {where}. If it is Latin-1 (ISO-8859-1), " +
            $"pass --encoding latin1; otherwise convert it to UTF-8 first, e.g. '{convert}' (with -f the file's real encoding)", ex);
    }

    private static void ValidateOptions(CsvReadOptions options)
    {
        if (options.Delimiter is '"' or '\r' or '\n')
        {
            throw new AcrDataException($"The CSV delimiter cannot be {Describe(options.Delimiter.Value)}; use e.g. ',', ';' or a tab");
        }

        if (options.Drop is null)
        {
            throw new ArgumentException("CsvReadOptions.Drop must not be null; use an empty list.", nameof(options));
        }
    }

    private static string Describe(char c) => c switch
    {
        '\r' => "a carriage return",
        '\n' => "a line break",
        _ => $"'{c}'",
    };

    /// <summary>Returns the stream to decode as text: decompressing if the data starts with the gzip magic bytes.</summary>
    private static Stream OpenText(Stream stream, out bool ownsText)
    {
        Span<byte> magic = stackalloc byte[2];
        int n = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        Stream rest;
        if (stream.CanSeek)
        {
            stream.Seek(-n, SeekOrigin.Current);
            rest = stream;
        }
        else
        {
            rest = new PrefixedReadStream(magic[..n].ToArray(), stream);
        }

        ownsText = !ReferenceEquals(rest, stream);
        if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        {
            ownsText = true;
            return new CheckedGzipStream(rest);
        }

        return rest;
    }

    private static TabularDataset Parse(CsvRecordReader csv, string source, CsvReadOptions options)
    {
        if (!csv.ReadRecord())
        {
            throw new AcrDataException($"Data file '{source}' is empty (no data rows); pass a CSV file with one sample per row");
        }

        int columnCount = csv.FieldCount;
        string[] firstRow = new string[columnCount];
        for (int c = 0; c < columnCount; c++)
        {
            firstRow[c] = csv.Field(c).Trim().ToString();
        }

        bool hasHeader = options.HasHeader ?? LooksLikeHeader(firstRow, options);
        var layout = new ColumnLayout(source, hasHeader, hasHeader ? firstRow : null, columnCount);

        int label = options.LabelColumn is null ? -1 : layout.Resolve(options.LabelColumn, "label column", "--label");
        int group = options.GroupColumn is null ? -1 : layout.Resolve(options.GroupColumn, "group column", "--group");
        if (label >= 0 && label == group)
        {
            throw new AcrDataException($"Data file '{source}': the label column and the group column are both {layout.Display(label)}; choose different columns");
        }

        var excluded = new HashSet<int>();
        foreach (string drop in options.Drop)
        {
            excluded.Add(layout.Resolve(drop, "column to drop", "--drop"));
        }

        if (label >= 0)
        {
            excluded.Add(label);
        }

        if (group >= 0)
        {
            excluded.Add(group);
        }

        int[] remaining = [.. Enumerable.Range(0, columnCount).Where(c => !excluded.Contains(c))];
        if (remaining.Length == 0)
        {
            throw new AcrDataException(
                $"Data file '{source}' has no feature columns left: all {columnCount} columns are the label, the group or dropped; drop fewer columns");
        }

        bool firstIsData = !hasHeader;
        if (hasHeader)
        {
            if (!csv.ReadRecord())
            {
                throw new AcrDataException($"Data file '{source}' has a header row but no data rows; pass a file with at least one sample");
            }

            firstIsData = true;
        }

        var oneHot = ChooseCategorical(csv, layout, remaining, excluded, label, group, options);
        var categoricalColumns = oneHot.FileColumns.ToHashSet();
        int[] featureColumns = [.. remaining.Where(c => !categoricalColumns.Contains(c))];
        string[] featureNames = [.. featureColumns.Select(layout.Name)];
        int d = featureColumns.Length;
        float[] features = new float[d * 256L <= Array.MaxLength ? d * 256 : d];
        var labels = label >= 0 ? new List<string>() : null;
        var groups = group >= 0 ? new List<string>() : null;
        var labelPool = new Dictionary<string, string>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        var groupPool = new Dictionary<string, string>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

        var badColumns = new SortedDictionary<int, BadCell>();
        int rows = 0;
        while (firstIsData || csv.ReadRecord())
        {
            firstIsData = false;
            if (rows == int.MaxValue)
            {
                throw new AcrDataException($"Data file '{source}' has more than {int.MaxValue} rows; split it");
            }

            int row = rows + 1;
            if (csv.FieldCount != columnCount)
            {
                throw new AcrDataException(
                    $"Data file '{source}': row {row} has {csv.FieldCount} fields, expected {columnCount} like the {(hasHeader ? "header" : "first row")} (line {csv.Line}); "
                    + $"look for a missing or extra {Name(csv.Delimiter)}, or a value containing {Name(csv.Delimiter)} that is not quoted (or pass --delimiter)");
            }

            long needed = (long)(rows + 1) * d;
            if (needed > features.Length)
            {
                if (needed > Array.MaxLength)
                {
                    throw new AcrDataException($"Data file '{source}' has more than {Array.MaxLength} feature values; split it or drop columns");
                }

                Array.Resize(ref features, (int)Math.Min(Math.Max(needed, (long)features.Length * 2), Array.MaxLength));
            }

            Span<float> target = features.AsSpan(rows * d, d);
            for (int j = 0; j < d; j++)
            {
                ReadOnlySpan<char> text = csv.Field(featureColumns[j]);
                if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
                {
                    // Keep reading: every bad column is reported at once, each with its first bad value.
                    if (!badColumns.ContainsKey(featureColumns[j]))
                    {
                        badColumns[featureColumns[j]] = new BadCell(
                            BadValue(layout, text, row, csv.Line, featureColumns[j], options.HasHeader == false),
                            Shown(text), row, csv.Line, IsText(text));
                    }

                    value = 0;
                }

                target[j] = value;
            }

            if (oneHot.Count > 0)
            {
                oneHot.Add(csv, row, csv.Line);
            }

            if (labels is not null)
            {
                labels.Add(Intern(labelPool, csv.Field(label).Trim(), layout, row, csv.Line, label, "label"));
            }

            if (groups is not null)
            {
                groups.Add(Intern(groupPool, csv.Field(group).Trim(), layout, row, csv.Line, group, "group"));
            }

            rows++;
        }

        if (badColumns.Count > 0)
        {
            throw BadColumns(layout, badColumns, options);
        }

        if (features.Length != rows * d)
        {
            Array.Resize(ref features, rows * d);
        }

        var labelArray = labels?.ToArray();
        var groupArray = groups?.ToArray();
        IReadOnlyList<CategoricalColumn> categorical = [];
        if (oneHot.Count > 0)
        {
            (features, featureNames, var columns) = oneHot.Expand(features, rows, remaining, layout.Name, groupArray ?? labelArray, options);
            d = featureNames.Length;
            categorical = columns;
        }

        return new TabularDataset(features, rows, d, featureNames, labelArray, groupArray, source) { HasHeader = hasHeader, Categorical = categorical };
    }

    /// <summary>
    /// The categorical columns: the model's (<see cref="CsvReadOptions.KnownCategories"/>), or those named by
    /// <see cref="CsvReadOptions.Categorical"/>, or with <see cref="CsvReadOptions.CategoricalAuto"/> every feature column
    /// whose value in the first data row (the current record) is text.
    /// </summary>
    private static OneHotColumns ChooseCategorical(CsvRecordReader csv, ColumnLayout layout, int[] remaining, HashSet<int> excluded, int label, int group, CsvReadOptions options)
    {
        var chosen = new List<(int FileColumn, string Name, int FeatureIndex, CategoricalColumn? Known)>();
        if (options.KnownCategories is { Count: > 0 } known)
        {
            if (options.Categorical.Count > 0 || options.CategoricalAuto)
            {
                throw new AcrDataException("The categorical columns come from the model when scoring; do not pass --categorical");
            }

            foreach (var k in known)
            {
                int column;
                if (layout.HasHeader)
                {
                    column = layout.TryFind(k.Column);
                    if (column < 0)
                    {
                        throw new AcrDataException(
                            $"Data file '{layout.Source}': the model one-hot encodes column '{k.Column}' ({k.Categories.Count} categories), but the file has no column of that name; " +
                            "score a file with the columns the model was trained on");
                    }
                }
                else if (k.FeatureIndex < remaining.Length)
                {
                    column = remaining[k.FeatureIndex];
                }
                else
                {
                    throw new AcrDataException(
                        $"Data file '{layout.Source}' has {remaining.Length} feature columns, but the model one-hot encodes feature column {k.FeatureIndex} ('{k.Column}'); " +
                        "score a file with the columns the model was trained on");
                }

                if (excluded.Contains(column))
                {
                    throw new AcrDataException($"Data file '{layout.Source}': column {layout.Display(column)} is one-hot encoded by the model, so it cannot be the label, the group or dropped");
                }

                chosen.Add((column, layout.Name(column), Array.IndexOf(remaining, column), k));
            }
        }
        else
        {
            var columns = new SortedSet<int>();
            foreach (var reference in options.Categorical)
            {
                var column = layout.Resolve(reference, "categorical column", "--categorical");
                if (column == label || column == group)
                {
                    throw new AcrDataException($"Data file '{layout.Source}': {layout.Display(column)} is the {(column == label ? "label" : "group")} column; it cannot also be --categorical");
                }

                if (excluded.Contains(column))
                {
                    throw new AcrDataException($"Data file '{layout.Source}': {layout.Display(column)} is dropped with --drop; it cannot also be --categorical");
                }

                columns.Add(column);
            }

            if (options.CategoricalAuto && csv.FieldCount == layout.Count)
            {
                foreach (var column in remaining.Where(c => IsText(csv.Field(c).Trim())))
                {
                    columns.Add(column);
                }
            }

            chosen.AddRange(columns.Select(c => (c, layout.Name(c), Array.IndexOf(remaining, c), (CategoricalColumn?)null)));
        }

        return new OneHotColumns(layout.Source, chosen);
    }

    private static string Intern(
        Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> pool,
        ReadOnlySpan<char> text,
        ColumnLayout layout,
        int row,
        long line,
        int column,
        string role)
    {
        if (text.IsEmpty)
        {
            throw new AcrDataException(
                $"Data file '{layout.Source}': row {row}, {role} column {layout.Display(column)} is empty (line {line}); every row needs a {role}: fill it in or remove the row");
        }

        if (!pool.TryGetValue(text, out string? value))
        {
            value = text.ToString();
            pool[value] = value;
        }

        return value;
    }

    private static AcrDataException BadValue(ColumnLayout layout, ReadOnlySpan<char> text, int row, long line, int column, bool headerForcedOff)
    {
        string where = $"Data file '{layout.Source}': row {row}, column {layout.Display(column)}";
        string at = $" (line {line})";
        string dropHint = $"use --drop {layout.Reference(column)} to leave the column out";
        string shown = text.Length <= MaxValueEcho ? text.ToString() : string.Concat(text[..MaxValueEcho], "…");
        if (IsMissing(text))
        {
            return new AcrDataException($"{where}: the value is missing ('{shown}'); clean or impute the data, or {dropHint}{at}");
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double wide))
        {
            return double.IsFinite(wide)
                ? new AcrDataException($"{where}: '{shown}' is outside the range of a 32-bit float; rescale the column, or {dropHint}{at}")
                : new AcrDataException($"{where}: NaN/Infinity is not allowed ('{shown}'); clean or impute the data, or {dropHint}{at}");
        }

        string headerHint = row == 1 && headerForcedOff ? "; if this first row is a header, do not turn header detection off" : string.Empty;
        return new AcrDataException($"{where}: '{shown}' is not a number; {dropHint}{headerHint}{at}");
    }

    /// <summary>The first bad value of a feature column.</summary>
    private sealed record BadCell(AcrDataException Single, string Shown, int Row, long Line, bool IsText);

    private static string Shown(ReadOnlySpan<char> text) => text.Length <= MaxValueEcho ? text.ToString() : string.Concat(text[..MaxValueEcho], "…");

    /// <summary>Whether the value is text (neither missing nor a number out of range or NaN/Infinity).</summary>
    private static bool IsText(ReadOnlySpan<char> text) =>
        !IsMissing(text) && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>
    /// One message for every feature column with a bad value: with no --label and a text column, it says to pass
    /// --label; otherwise one column keeps its own message and several are listed (capped) with one --drop each.
    /// </summary>
    private static AcrDataException BadColumns(ColumnLayout layout, SortedDictionary<int, BadCell> bad, CsvReadOptions options)
    {
        var text = bad.Where(b => b.Value.IsText).ToArray();
        string Item(KeyValuePair<int, BadCell> b) =>
            $"{layout.Display(b.Key)} (first '{b.Value.Shown}', row {b.Value.Row}, line {b.Value.Line})";
        string List(IEnumerable<KeyValuePair<int, BadCell>> items, int count)
        {
            var listed = string.Join(", ", items.Take(MaxBadColumnsListed).Select(Item));
            return count > MaxBadColumnsListed ? $"{listed} and {count - MaxBadColumnsListed} more" : listed;
        }

        if (options.HasHeader == false && bad.Values.All(b => b.Row == 1))
        {
            return bad.First().Value.Single; // a header read as data: its message says so
        }

        if (options.LabelColumn is null && text.Length > 0)
        {
            var first = text[0];
            var what = text.Length == 1
                ? $"column {Item(first)} is not numeric"
                : $"{text.Length} columns are not numeric: {List(text, text.Length)}";
            return new AcrDataException(
                $"Data file '{layout.Source}': {what}, and no --label was given. Pass --label COL naming the class column " +
                $"(e.g. --label {layout.Reference(first.Key)}), or --drop the text column(s) that are not features; " +
                "feature columns must be numbers", first.Value.Single);
        }

        if (bad.Count == 1)
        {
            return bad.First().Value.Single;
        }

        var drops = string.Join(" ", bad.Keys.Take(MaxBadColumnsListed).Select(c => $"--drop {layout.Reference(c)}"));
        return new AcrDataException(
            $"Data file '{layout.Source}': {bad.Count} feature columns are not numeric or have missing/invalid values: {List(bad, bad.Count)}; " +
            $"leave them out with {drops}{(bad.Count > MaxBadColumnsListed ? " …" : string.Empty)}, or clean the data", bad.First().Value.Single);
    }

    internal static bool IsMissing(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        return text.IsEmpty
            || text.Equals("NA", StringComparison.OrdinalIgnoreCase)
            || text.Equals("N/A", StringComparison.OrdinalIgnoreCase)
            || text.Equals("null", StringComparison.OrdinalIgnoreCase)
            || text.Equals("none", StringComparison.OrdinalIgnoreCase)
            || text.Equals("?", StringComparison.Ordinal);
    }

    private static bool LooksLikeHeader(string[] firstRow, CsvReadOptions options)
    {
        var byIndex = new HashSet<int>();
        IEnumerable<string?> references = [options.LabelColumn, options.GroupColumn, .. options.Drop];
        foreach (string? reference in references)
        {
            if (reference is null || Array.IndexOf(firstRow, reference.Trim()) >= 0)
            {
                continue;
            }

            if (ColumnLayout.TryParseIndex(reference, firstRow.Length, out int index))
            {
                byIndex.Add(index);
            }
        }

        for (int c = 0; c < firstRow.Length; c++)
        {
            if (byIndex.Contains(c) || IsMissing(firstRow[c]))
            {
                continue;
            }

            if (!double.TryParse(firstRow[c], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Column names and the resolution of column references for one file.</summary>
    private sealed class ColumnLayout
    {
        private readonly bool _hasHeader;
        private readonly string[] _names;
        private readonly int _count;

        public ColumnLayout(string source, bool hasHeader, string[]? header, int count)
        {
            Source = source;
            _hasHeader = hasHeader;
            _count = count;
            _names = header ?? [.. Enumerable.Range(0, count).Select(i => "col" + i.ToString(CultureInfo.InvariantCulture))];
        }

        public string Source { get; }

        public bool HasHeader => _hasHeader;

        public int Count => _count;

        /// <summary>The column of this exact header name when it names exactly one column, else -1.</summary>
        public int TryFind(string name)
        {
            int first = Array.IndexOf(_names, name);
            return first >= 0 && first == Array.LastIndexOf(_names, name) ? first : -1;
        }

        public static bool TryParseIndex(string reference, int count, out int index)
        {
            index = -1;
            if (!int.TryParse(reference.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out int raw))
            {
                return false;
            }

            index = raw < 0 ? raw + count : raw;
            return index >= 0 && index < count;
        }

        /// <summary>The feature name of a column: its header name, or <c>col&lt;index&gt;</c> when that is empty or there is no header.</summary>
        public string Name(int column)
            => _names[column].Length > 0 ? _names[column] : "col" + column.ToString(CultureInfo.InvariantCulture);

        /// <summary>How a column is shown in messages.</summary>
        public string Display(int column)
            => _hasHeader && _names[column].Length > 0
                ? $"'{_names[column]}'"
                : column.ToString(CultureInfo.InvariantCulture);

        /// <summary>A reference that selects the column unambiguously (its name if unique, else its index).</summary>
        public string Reference(int column)
        {
            string name = _names[column];
            return _hasHeader && name.Length > 0 && Array.IndexOf(_names, name) == Array.LastIndexOf(_names, name)
                ? name
                : column.ToString(CultureInfo.InvariantCulture);
        }

        public int Resolve(string reference, string role, string option)
        {
            string trimmed = reference.Trim();
            if (trimmed.Length == 0)
            {
                throw new AcrDataException($"The {role} reference is empty; pass a column name or a 0-based index ({option} -1 for the last column)");
            }

            int first = Array.IndexOf(_names, trimmed);
            if (first >= 0)
            {
                int last = Array.LastIndexOf(_names, trimmed);
                if (last != first)
                {
                    throw new AcrDataException(
                        $"Data file '{Source}': the {role} name '{trimmed}' appears more than once in the header (columns {first} and {last}); refer to it by 0-based index instead ({option} {first})");
                }

                return first;
            }

            if (int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int raw))
            {
                if (TryParseIndex(trimmed, _count, out int index))
                {
                    return index;
                }

                throw new AcrDataException(
                    $"Data file '{Source}': {role} index {raw} is out of range; the file has {_count} columns (0..{_count - 1}, or -{_count}..-1 counting from the end)");
            }

            string? nearMiss = _names.FirstOrDefault(n => string.Equals(n, trimmed, StringComparison.OrdinalIgnoreCase));
            string suggestion = nearMiss is null ? string.Empty : $" Did you mean '{nearMiss}'? Names are case-sensitive.";
            string available = _hasHeader
                ? $"Available columns: {ListNames()}."
                : $"The file has no header row, so its {_count} columns are named col0..col{_count - 1}; refer to them by name or by 0-based index (-1 for the last).";
            throw new AcrDataException($"Data file '{Source}': {role} '{trimmed}' not found. {available}{suggestion} Pass a column name or a 0-based index to {option}.");
        }

        private string ListNames()
        {
            IEnumerable<string> shown = _names.Take(MaxColumnsListed).Select((n, i) => n.Length > 0 ? n : $"<unnamed {i}>");
            string list = string.Join(", ", shown);
            return _names.Length > MaxColumnsListed ? $"{list}, … ({_names.Length - MaxColumnsListed} more)" : list;
        }
    }
}
