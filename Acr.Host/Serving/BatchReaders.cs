using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;

namespace Acr.Host.Serving;

/// <summary>
/// Reads a scoring request's body into a <see cref="RequestTable"/>: CSV (optional header), JSON rows, or an Arrow IPC
/// stream. Every way a body can be wrong becomes a <see cref="ServeProblem"/> that names the row and column; more than
/// <c>maxRows</c> rows is refused as soon as it is seen.
/// </summary>
internal static class BatchReaders
{
    public const string CsvMediaType = "text/csv";
    public const string JsonMediaType = "application/json";
    public const string ArrowMediaType = "application/vnd.apache.arrow.stream";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// CSV, comma-separated, RFC 4180 quoting. The first record is a header when any of its fields is not a number;
    /// otherwise every record is a row and the columns are the model's features in order.
    /// </summary>
    public static RequestTable ReadCsv(byte[] body, int length, int maxRows)
    {
        try
        {
            using var text = new StreamReader(new MemoryStream(body, 0, length, writable: false), StrictUtf8, detectEncodingFromByteOrderMarks: true);
            var reader = new CsvRecordReader(text, ',', "request body");
            if (!reader.ReadRecord())
            {
                throw Empty("The CSV body has no rows.");
            }

            var columns = reader.FieldCount;
            string[]? names = null;
            for (var f = 0; f < columns; f++)
            {
                if (!float.TryParse(reader.Field(f), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    names = Enumerable.Range(0, columns).Select(i => reader.Field(i).ToString()).ToArray();
                    break;
                }
            }

            var values = new List<float>();
            var rows = 0;
            var more = names is null || reader.ReadRecord();
            while (more)
            {
                if (reader.FieldCount != columns)
                {
                    throw ServeProblem.BadBatch("wrong-column-count", "A row does not have the batch's number of columns.",
                        $"CSV line {reader.Line} has {reader.FieldCount} fields but {(names is null ? "the first row" : "the header")} has {columns}; every row needs the same columns.");
                }

                if (++rows > maxRows)
                {
                    throw TooManyRows(maxRows);
                }

                for (var f = 0; f < columns; f++)
                {
                    var field = reader.Field(f);
                    if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    {
                        throw ServeProblem.BadBatch("not-a-number", "A value is not a number.",
                            $"CSV line {reader.Line}, column {ColumnName(names, f)}: '{Clip(field.ToString())}' is not a number (write numbers with '.' as the decimal point).");
                    }

                    values.Add(float.IsFinite(v) ? v : throw NonFinite($"CSV line {reader.Line}, column {ColumnName(names, f)}", v));
                }

                more = reader.ReadRecord();
            }

            if (rows == 0)
            {
                throw Empty("The CSV body has a header but no rows.");
            }

            return new RequestTable([.. values], rows, columns, names);
        }
        catch (AcrDataException e)
        {
            throw ServeProblem.BadBatch("malformed-csv", "The body is not valid CSV.", e.Message);
        }
        catch (DecoderFallbackException e)
        {
            throw ServeProblem.BadBatch("not-utf8", "The body is not UTF-8 text.", $"The CSV body is not valid UTF-8 ({e.Message}); send UTF-8 text.");
        }
    }

    /// <summary>
    /// JSON: <c>{"rows": [[x, …], …], "columns": ["name", …]}</c> (<c>columns</c> optional) or a bare array of rows
    /// <c>[[x, …], …]</c>. Every value is a JSON number.
    /// </summary>
    public static RequestTable ReadJson(byte[] body, int length, int maxRows)
    {
        try
        {
            var reader = new Utf8JsonReader(body.AsSpan(0, length), new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read())
            {
                throw Empty("The JSON body is empty.");
            }

            List<string>? names = null;
            (List<float> Values, int Rows, int Columns)? rows = null;
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                rows = ReadRows(ref reader, maxRows);
            }
            else if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var property = reader.GetString();
                    if (!reader.Read())
                    {
                        break;
                    }

                    switch (property)
                    {
                        case "rows" when rows is null:
                            rows = reader.TokenType == JsonTokenType.StartArray ? ReadRows(ref reader, maxRows) : throw Shape("\"rows\" must be an array of rows, each an array of numbers.");
                            break;
                        case "columns" when names is null:
                            names = ReadNames(ref reader);
                            break;
                        case "rows" or "columns":
                            throw Shape($"\"{property}\" appears twice.");
                        default:
                            throw Shape($"Unknown property \"{Clip(property ?? "")}\"; a JSON batch is {{\"rows\": [[x, …], …]}} with an optional \"columns\": [names].");
                    }
                }
            }
            else
            {
                throw Shape($"The body is a JSON {reader.TokenType}; send {{\"rows\": [[x, …], …]}} or [[x, …], …].");
            }

            while (reader.Read())
            {
                // Utf8JsonReader rejects trailing content; reading to the end makes it check.
            }

            if (rows is not { } r)
            {
                throw Shape("The JSON object has no \"rows\"; send {\"rows\": [[x, …], …]}.");
            }

            if (r.Rows == 0)
            {
                throw Empty("\"rows\" is empty.");
            }

            if (names is not null && names.Count != r.Columns)
            {
                throw ServeProblem.BadBatch("wrong-column-count", "The rows do not have as many values as there are column names.",
                    $"\"columns\" names {names.Count} columns but the rows have {r.Columns} values each.");
            }

            return new RequestTable([.. r.Values], r.Rows, r.Columns, names);
        }
        catch (JsonException e)
        {
            throw ServeProblem.BadBatch("malformed-json", "The body is not valid JSON.", $"The JSON body is malformed: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw ServeProblem.BadBatch("malformed-json", "The body is not valid JSON.", $"The JSON body is malformed: {e.Message}");
        }
    }

    private static (List<float> Values, int Rows, int Columns) ReadRows(ref Utf8JsonReader reader, int maxRows)
    {
        var values = new List<float>();
        var rows = 0;
        var columns = -1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw Shape($"Row {rows} is a JSON {reader.TokenType}, not an array of numbers.");
            }

            if (++rows > maxRows)
            {
                throw TooManyRows(maxRows);
            }

            var count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number)
                {
                    throw ServeProblem.BadBatch("not-a-number", "A value is not a number.",
                        $"Row {rows - 1}, value {count}: expected a JSON number, got {Describe(ref reader)}.");
                }

                if (!reader.TryGetSingle(out var v) || !float.IsFinite(v))
                {
                    throw ServeProblem.BadBatch("non-finite-value", "A value is out of range.",
                        $"Row {rows - 1}, value {count}: {Encoding.UTF8.GetString(reader.ValueSpan)} does not fit a finite float32.");
                }

                values.Add(v);
                count++;
            }

            if (columns < 0)
            {
                columns = count;
            }
            else if (count != columns)
            {
                throw ServeProblem.BadBatch("wrong-column-count", "A row does not have the batch's number of columns.",
                    $"Row {rows - 1} has {count} values but row 0 has {columns}; every row needs the same columns.");
            }

            if (count == 0)
            {
                throw ServeProblem.BadBatch("wrong-column-count", "A row is empty.", $"Row {rows - 1} has no values.");
            }
        }

        return (values, rows, Math.Max(columns, 0));
    }

    private static List<string> ReadNames(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Shape("\"columns\" must be an array of strings (the model's feature names).");
        }

        var names = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            names.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Shape($"\"columns\"[{names.Count}] is a JSON {reader.TokenType}, not a string."));
        }

        return names;
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"the string \"{Clip(reader.GetString() ?? "")}\"",
        JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null => reader.TokenType.ToString().ToLowerInvariant(),
        _ => $"a JSON {reader.TokenType}",
    };

    /// <summary>An Arrow IPC stream (schema, then record batches) of numeric columns (floating point or integer, no nulls).</summary>
    public static RequestTable ReadArrow(byte[] body, int length, int maxRows)
    {
        try
        {
            using var reader = new ArrowStreamReader(new MemoryStream(body, 0, length, writable: false));
            var batches = new List<RecordBatch>();
            try
            {
                var rows = 0L;
                while (reader.ReadNextRecordBatch() is { } batch)
                {
                    batches.Add(batch);
                    rows += batch.Length;
                    if (rows > maxRows)
                    {
                        throw TooManyRows(maxRows);
                    }
                }

                var schema = reader.Schema ?? throw Empty("The Arrow stream has no schema.");
                var fields = schema.FieldsList;
                if (fields.Count == 0)
                {
                    throw ServeProblem.BadBatch("wrong-column-count", "The batch has no columns.", "The Arrow schema has no columns.");
                }

                if (rows == 0)
                {
                    throw Empty("The Arrow stream has no rows.");
                }

                var columns = fields.Count;
                var values = new float[rows * columns];
                var offset = 0;
                foreach (var batch in batches)
                {
                    for (var c = 0; c < columns; c++)
                    {
                        CopyColumn(batch.Column(c), fields[c], c, offset, columns, values);
                    }

                    offset += batch.Length;
                }

                var names = fields.Select(f => f.Name ?? "").ToArray();
                return new RequestTable(values, (int)rows, columns, names.All(n => n.Length == 0) ? null : names);
            }
            finally
            {
                foreach (var b in batches)
                {
                    b.Dispose();
                }
            }
        }
        catch (ServeProblem)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The Arrow reader reports a malformed stream with many exception types; all of them are the client's input.
            throw ServeProblem.BadBatch("malformed-arrow", "The body is not a valid Arrow IPC stream.",
                $"The body is not a readable Arrow IPC stream ({e.GetType().Name}: {e.Message}); send the stream format (application/vnd.apache.arrow.stream), not the file format.");
        }
    }

    private static void CopyColumn(IArrowArray array, Apache.Arrow.Field field, int column, int rowOffset, int columns, float[] values)
    {
        if (array.NullCount > 0)
        {
            var firstNull = Enumerable.Range(0, array.Length).First(array.IsNull);
            throw ServeProblem.BadBatch("missing-value", "A value is missing.",
                $"Arrow column '{field.Name}' has {array.NullCount} null values (first at row {rowOffset + firstNull}); every value must be present.");
        }

        switch (array)
        {
            case FloatArray a: Copy(a.Values); break;
            case DoubleArray a: Copy(a.Values); break;
            case HalfFloatArray a: Copy(a.Values); break;
            case Int8Array a: Copy(a.Values); break;
            case Int16Array a: Copy(a.Values); break;
            case Int32Array a: Copy(a.Values); break;
            case Int64Array a: Copy(a.Values); break;
            case UInt8Array a: Copy(a.Values); break;
            case UInt16Array a: Copy(a.Values); break;
            case UInt32Array a: Copy(a.Values); break;
            case UInt64Array a: Copy(a.Values); break;
            default:
                throw ServeProblem.BadBatch("not-a-number", "A column is not numeric.",
                    $"Arrow column '{field.Name}' has type {field.DataType.Name}; every column must be a floating-point or integer type.");
        }

        void Copy<T>(ReadOnlySpan<T> source)
            where T : System.Numerics.INumberBase<T>
        {
            for (var r = 0; r < source.Length; r++)
            {
                var row = rowOffset + r;
                var v = float.CreateTruncating(source[r]);
                values[(row * columns) + column] = float.IsFinite(v) ? v : throw NonFinite($"Arrow column '{field.Name}', row {row}", v);
            }
        }
    }

    private static ServeProblem NonFinite(string where, float v) =>
        ServeProblem.BadBatch("non-finite-value", "A value is not finite.",
            $"{where}: {v.ToString(CultureInfo.InvariantCulture)} is not a finite number; NaN or infinity in one row would make the whole batch's statistics NaN.");

    private static string ColumnName(string[]? names, int f) => names is null ? f.ToString(CultureInfo.InvariantCulture) : $"'{names[f]}' ({f})";

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static ServeProblem Empty(string detail) => ServeProblem.BadBatch("empty-batch", "The batch has no rows.", detail + " A batch needs at least 2 rows (1 with ?mode=running).");

    private static ServeProblem Shape(string detail) => ServeProblem.BadBatch("wrong-shape", "The JSON body is not a batch of rows.", detail);

    private static ServeProblem TooManyRows(int maxRows) =>
        new(413, "too-many-rows", "The batch has too many rows.", $"The batch has more than {maxRows} rows, the server's --max-request-rows; split it into smaller batches (each is centred by its own statistics).");
}
