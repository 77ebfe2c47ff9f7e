using System.Text;

namespace Acr.Host.Scoring.Streaming;

/// <summary>
/// A CSV (or gzip-compressed CSV) file read row by row. The start of the file (its first 64 K characters, cut at a line
/// end) is read by <see cref="CsvDatasetReader"/> first, so the header, the delimiter, the column options and the first
/// rows get exactly the checks and messages of the in-memory reader; the rest is parsed here, field spans to floats with
/// <see cref="FastFloat"/>, without allocating per row.
/// </summary>
internal sealed class CsvRowSource : IRowSource
{
    private const int HeadChars = 1 << 16;
    private const int MaxHeadChars = 1 << 26;
    private const int MaxValueEcho = 40;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _file;
    private readonly Stream _text;
    private readonly StreamReader _reader;
    private readonly CsvRecordReader _csv;
    private readonly int _columnCount;
    private readonly int[] _featureColumns;
    private readonly string[] _names;
    private readonly bool _hasHeader;
    private readonly int _label;
    private readonly int _group;
    private readonly StringPool _labels = new();
    private readonly StringPool _groups = new();
    private int[] _selected = [];
    private long _row;
    private bool _headerPending;

    /// <inheritdoc />
    public bool HasHeader => _hasHeader;

    private CsvRowSource(string path, Stream file, Stream text, StreamReader reader, CsvReadOptions options)
    {
        Source = path;
        _file = file;
        _text = text;
        _reader = reader;

        // The head: whole lines (outside quotes), at least two records unless the file is shorter.
        var head = new StringBuilder();
        var buffer = new char[HeadChars];
        int cut;
        var eof = false;
        while (true)
        {
            var n = reader.ReadBlock(buffer);
            head.Append(buffer, 0, n);
            eof = n < buffer.Length;
            cut = eof ? head.Length : LineCut(head, 2);
            if (cut > 0 || eof)
            {
                break;
            }

            if (head.Length >= MaxHeadChars)
            {
                throw new AcrDataException($"Data file '{path}': the first two lines are longer than {MaxHeadChars >> 20} M characters; check for an unclosed quote");
            }
        }

        var headText = head.ToString();
        if (!eof)
        {
            cut = LineCut(head, int.MaxValue);
        }

        var delimiter = options.Delimiter ?? CsvDatasetReader.DetectDelimiter(headText, path);
        options = options with { Delimiter = delimiter };
        var prefix = headText[..cut];
        var checkedPrefix = CsvDatasetReader.ReadFromStream(new MemoryStream(StrictUtf8.GetBytes(prefix)), path, options);

        // Re-derive what the reader decided: header or not (it read one row fewer), and the columns of each role.
        var counter = new CsvRecordReader(new StringReader(prefix), delimiter, path);
        var records = 0;
        string[] first = [];
        while (counter.ReadRecord())
        {
            if (records == 0)
            {
                first = new string[counter.FieldCount];
                for (var c = 0; c < first.Length; c++)
                {
                    first[c] = counter.Field(c).Trim().ToString();
                }
            }

            records++;
        }

        _hasHeader = checkedPrefix.Rows == records - 1;
        _columnCount = first.Length;
        _names = _hasHeader ? first : [.. Enumerable.Range(0, _columnCount).Select(Generated)];
        _label = options.LabelColumn is null ? -1 : Resolve(options.LabelColumn);
        _group = options.GroupColumn is null ? -1 : Resolve(options.GroupColumn);
        var excluded = new HashSet<int>(options.Drop.Select(Resolve)) { _label, _group };
        _featureColumns = [.. Enumerable.Range(0, _columnCount).Where(c => !excluded.Contains(c))];
        FeatureNames = [.. _featureColumns.Select(c => _names[c].Length > 0 ? _names[c] : Generated(c))];
        if (!FeatureNames.SequenceEqual(checkedPrefix.FeatureNames, StringComparer.Ordinal))
        {
            throw new InvalidOperationException($"The streaming reader's columns ({string.Join(", ", FeatureNames)}) differ from the CSV reader's ({string.Join(", ", checkedPrefix.FeatureNames)}).");
        }

        _csv = new CsvRecordReader(new PrefixedTextReader(headText.AsMemory(), reader), delimiter, path);
        _headerPending = _hasHeader;
    }

    public string Source { get; }

    public IReadOnlyList<string> FeatureNames { get; }

    public bool HasLabels => _label >= 0;

    public bool HasGroups => _group >= 0;

    /// <summary>Opens a <c>.csv</c> or <c>.csv.gz</c> file (gzip recognized by its magic bytes) and checks its start.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">How to read it (as for <see cref="CsvDatasetReader.Read"/>).</param>
    public static CsvRowSource Open(string path, CsvReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var file = DataFiles.OpenRead(path);
        Stream? text = null;
        StreamReader? reader = null;
        try
        {
            Span<byte> magic = stackalloc byte[2];
            var n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Seek(0, SeekOrigin.Begin);
            text = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new CheckedGzipStream(file) : file;
            reader = new StreamReader(text, StrictUtf8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
            return Wrap(path, () => new CsvRowSource(path, file, text, reader, options));
        }
        catch
        {
            reader?.Dispose();
            if (text is not null && !ReferenceEquals(text, file))
            {
                text.Dispose();
            }

            file.Dispose();
            throw;
        }
    }

    public void SelectColumns(int[] dataFeatureOfModelFeature) =>
        _selected = [.. dataFeatureOfModelFeature.Select(f => _featureColumns[f])];

    public bool ReadRow(Span<float> features, out string? label, out string? group)
    {
        label = group = null;
        if (!Next())
        {
            return false;
        }

        if (_headerPending)
        {
            _headerPending = false;
            if (!Next())
            {
                return false;
            }
        }

        _row++;
        if (_csv.FieldCount != _columnCount)
        {
            var d = _csv.Delimiter == '\t' ? "tab" : $"'{_csv.Delimiter}'";
            throw new AcrDataException(
                $"Data file '{Source}': row {_row} has {_csv.FieldCount} fields, expected {_columnCount} like the {(_hasHeader ? "header" : "first row")} (line {_csv.Line}); " +
                $"look for a missing or extra {d}, or a value containing {d} that is not quoted (or pass --delimiter)");
        }

        var selected = _selected;
        for (var j = 0; j < selected.Length; j++)
        {
            var text = _csv.Field(selected[j]);
            if (!FastFloat.TryParse(text, out var value) || !float.IsFinite(value))
            {
                throw BadValue(text, selected[j]);
            }

            features[j] = value;
        }

        if (_label >= 0)
        {
            label = _labels.Get(Required(_label, "label"));
        }

        if (_group >= 0)
        {
            group = _groups.Get(Required(_group, "group"));
        }

        return true;
    }

    public void Dispose()
    {
        _reader.Dispose();
        if (!ReferenceEquals(_text, _file))
        {
            _text.Dispose();
        }

        _file.Dispose();
    }

    private static string Generated(int column) => "col" + column.ToString(CultureInfo.InvariantCulture);

    /// <summary>The end of the last line within <paramref name="head"/> outside quotes, if at least <paramref name="lines"/> lines end there (else 0).</summary>
    private static int LineCut(StringBuilder head, int lines)
    {
        var quoted = false;
        var ends = 0;
        var cut = 0;
        for (var i = 0; i < head.Length; i++)
        {
            var c = head[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\n' && !quoted)
            {
                cut = i + 1;
                if (++ends >= lines)
                {
                    return cut;
                }
            }
        }

        return lines == int.MaxValue ? cut : 0;
    }

    /// <summary>Turns decoding and I/O failures after the checked start into data errors.</summary>
    private static T Wrap<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is DecoderFallbackException or InvalidDataException or IOException)
        {
            throw ReadFailure(path, ex);
        }
    }

    private static AcrDataException ReadFailure(string path, Exception e)
    {
        if (e is DecoderFallbackException bad)
        {
            var bytes = string.Join(" ", (bad.BytesUnknown ?? []).Select(b => $"0x{b:X2}"));
            return new AcrDataException($"Data file '{path}' is not valid UTF-8 (byte {bytes}); convert it to UTF-8 first, e.g. with iconv -f latin1 -t utf-8 (with -f the file's real encoding)", e);
        }

        return e is InvalidDataException
            ? new AcrDataException($"Data file '{path}' is gzip-compressed but cannot be decompressed: {e.Message}; re-create or re-download it", e)
            : new AcrDataException($"Data file '{path}' cannot be read: {e.Message}", e);
    }

    private bool Next()
    {
        try
        {
            return _csv.ReadRecord();
        }
        catch (Exception ex) when (ex is DecoderFallbackException or InvalidDataException or IOException)
        {
            throw ReadFailure(Source, ex);
        }
    }

    private int Resolve(string reference)
    {
        var trimmed = reference.Trim();
        var byName = Array.IndexOf(_names, trimmed);
        if (byName >= 0)
        {
            return byName;
        }

        var raw = int.Parse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture); // the CSV reader accepted it
        return raw < 0 ? raw + _columnCount : raw;
    }

    private string Display(int column) => _hasHeader && _names[column].Length > 0 ? $"'{_names[column]}'" : column.ToString(CultureInfo.InvariantCulture);

    private string Reference(int column) =>
        _hasHeader && _names[column].Length > 0 && Array.IndexOf(_names, _names[column]) == Array.LastIndexOf(_names, _names[column])
            ? _names[column]
            : column.ToString(CultureInfo.InvariantCulture);

    private ReadOnlySpan<char> Required(int column, string role)
    {
        var text = _csv.Field(column).Trim();
        if (text.IsEmpty)
        {
            throw new AcrDataException(
                $"Data file '{Source}': row {_row}, {role} column {Display(column)} is empty (line {_csv.Line}); every row needs a {role}: fill it in or remove the row");
        }

        return text;
    }

    private AcrDataException BadValue(ReadOnlySpan<char> text, int column)
    {
        var shown = text.Length <= MaxValueEcho ? text.ToString() : string.Concat(text[..MaxValueEcho], "…");
        var where = $"Data file '{Source}': row {_row}, column {Display(column)}";
        var drop = $"use --drop {Reference(column)} to leave the column out";
        var trimmed = text.Trim();
        string what;
        if (trimmed.IsEmpty || trimmed is "?" || trimmed.Equals("NA", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("N/A", StringComparison.OrdinalIgnoreCase)
            || trimmed.Equals("null", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            what = $"the value is missing ('{shown}'); clean or impute the data, or {drop}";
        }
        else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var wide))
        {
            what = double.IsFinite(wide)
                ? $"'{shown}' is outside the range of a 32-bit float; rescale the column, or {drop}"
                : $"NaN/Infinity is not allowed ('{shown}'); clean or impute the data, or {drop}";
        }
        else
        {
            what = $"'{shown}' is not a number; {drop}";
        }

        return new AcrDataException($"{where}: {what} (line {_csv.Line})");
    }
}
