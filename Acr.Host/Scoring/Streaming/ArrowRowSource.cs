using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace Acr.Host.Scoring.Streaming;

/// <summary>
/// An Arrow IPC file (<c>.arrow</c>, <c>.feather</c>) or stream (<c>.arrows</c>) read one record batch at a time: numeric
/// columns are features, label and group columns may be text (plain or dictionary-encoded) or integers.
/// </summary>
internal sealed class ArrowRowSource : ColumnarRowSource
{
    private readonly FileStream _file;
    private readonly ArrowReaderImplementationHolder _reader;
    private readonly Schema _schema;

    private ArrowRowSource(string path, CsvReadOptions options, FileStream file, bool isFile)
        : base(path, options)
    {
        _file = file;
        _reader = new ArrowReaderImplementationHolder(isFile ? new ArrowFileReader(file, leaveOpen: true) : new ArrowStreamReader(file, leaveOpen: true));
        _schema = _reader.Schema;
        ColumnNames = [.. _schema.FieldsList.Select(f => f.Name)];
        ResolveColumns(c => IsNumeric(_schema.FieldsList[c].DataType));
    }

    protected override IReadOnlyList<string> ColumnNames { get; }

    protected override string FormatName => "Arrow IPC";

    /// <summary>Opens the file (IPC file format when <paramref name="isFile"/>, else the streaming format) and reads its schema.</summary>
    public static ArrowRowSource Open(string path, CsvReadOptions options, bool isFile)
    {
        var file = DataFiles.OpenRead(path);
        try
        {
            return new ArrowRowSource(path, options, file, isFile);
        }
        catch (Exception ex) when (ex is not AcrDataException)
        {
            file.Dispose();
            var other = isFile ? "an Arrow IPC stream is .arrows" : "an Arrow IPC file is .arrow or .feather";
            throw new AcrDataException($"Data file '{path}' cannot be read as {(isFile ? "an Arrow IPC file" : "an Arrow IPC stream")}: {ex.Message}; check the format ({other}; compressed Feather files are not supported: write them with compression='uncompressed')", ex);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public override void Dispose()
    {
        _reader.Dispose();
        _file.Dispose();
    }

    protected override bool NextChunk(int[] features, int label, int group, float[][] columns, out string?[]? labels, out string?[]? groups, out int rows)
    {
        labels = groups = null;
        rows = 0;
        while (true)
        {
            RecordBatch? batch;
            try
            {
                batch = _reader.ReadNext();
            }
            catch (Exception ex) when (ex is not AcrDataException and not OperationCanceledException)
            {
                throw new AcrDataException($"Data file '{Source}': a record batch cannot be read: {ex.Message} (compressed Arrow buffers are not supported)", ex);
            }

            if (batch is null)
            {
                return false;
            }

            using (batch)
            {
                rows = batch.Length;
                if (rows == 0)
                {
                    continue;
                }

                for (var j = 0; j < features.Length; j++)
                {
                    columns[j] = Floats(batch.Column(features[j]), rows);
                }

                labels = label >= 0 ? Strings(batch.Column(label), rows, ColumnNames[label]) : null;
                groups = group >= 0 ? Strings(batch.Column(group), rows, ColumnNames[group]) : null;
                return true;
            }
        }
    }

    private static bool IsNumeric(IArrowType type) => type.TypeId is ArrowTypeId.Float or ArrowTypeId.Double or ArrowTypeId.HalfFloat
        or ArrowTypeId.Int8 or ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64
        or ArrowTypeId.UInt8 or ArrowTypeId.UInt16 or ArrowTypeId.UInt32 or ArrowTypeId.UInt64;

    private static float[] Floats(IArrowArray array, int rows)
    {
        var result = new float[rows];
        switch (array)
        {
            case FloatArray a: Copy(a, result, v => v); break;
            case DoubleArray a: Copy(a, result, v => (float)v); break;
            case HalfFloatArray a: Copy(a, result, v => (float)v); break;
            case Int8Array a: Copy(a, result, v => v); break;
            case Int16Array a: Copy(a, result, v => v); break;
            case Int32Array a: Copy(a, result, v => v); break;
            case Int64Array a: Copy(a, result, v => v); break;
            case UInt8Array a: Copy(a, result, v => v); break;
            case UInt16Array a: Copy(a, result, v => v); break;
            case UInt32Array a: Copy(a, result, v => v); break;
            case UInt64Array a: Copy(a, result, v => v); break;
            default: throw new AcrDataException($"a feature column has Arrow type {array.Data.DataType.Name}; features must be numbers");
        }

        return result;
    }

    private static void Copy<T>(PrimitiveArray<T> array, float[] result, Func<T, float> convert)
        where T : struct, IEquatable<T>
    {
        var values = array.Values;
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = array.IsNull(i) ? float.NaN : convert(values[i]);
        }
    }

    private static string?[] Strings(IArrowArray array, int rows, string name)
    {
        var pool = new StringPool();
        var result = new string?[rows];
        switch (array)
        {
            case StringArray s:
                for (var i = 0; i < rows; i++)
                {
                    result[i] = s.IsNull(i) ? null : NonEmpty(pool, s.GetString(i));
                }

                break;
            case DictionaryArray d:
                var dictionary = Strings(d.Dictionary, d.Dictionary.Length, name);
                var indices = Floats(d.Indices, rows);
                for (var i = 0; i < rows; i++)
                {
                    result[i] = float.IsNaN(indices[i]) ? null : dictionary[(int)indices[i]];
                }

                break;
            case FloatArray or DoubleArray or HalfFloatArray:
                var floats = Floats(array, rows);
                for (var i = 0; i < rows; i++)
                {
                    result[i] = float.IsNaN(floats[i]) ? null : pool.Get(floats[i].ToString("R", CultureInfo.InvariantCulture));
                }

                break;
            case Int64Array or Int32Array or Int16Array or Int8Array or UInt8Array or UInt16Array or UInt32Array:
                for (var i = 0; i < rows; i++)
                {
                    result[i] = array.IsNull(i) ? null : pool.Get(Integer(array, i).ToString(CultureInfo.InvariantCulture));
                }

                break;
            default:
                throw new AcrDataException($"column '{name}' has Arrow type {array.Data.DataType.Name}; a label or group column must be text or numbers");
        }

        return result;
    }

    private static long Integer(IArrowArray array, int i) => array switch
    {
        Int64Array a => a.GetValue(i)!.Value,
        Int32Array a => a.GetValue(i)!.Value,
        Int16Array a => a.GetValue(i)!.Value,
        Int8Array a => a.GetValue(i)!.Value,
        UInt8Array a => a.GetValue(i)!.Value,
        UInt16Array a => a.GetValue(i)!.Value,
        UInt32Array a => a.GetValue(i)!.Value,
        _ => throw new ArgumentException("not an integer array", nameof(array)),
    };

    private static string? NonEmpty(StringPool pool, string? text) => text is null || text.AsSpan().Trim().IsEmpty ? null : pool.Get(text.AsSpan().Trim());

    /// <summary>The file and stream readers behind one face.</summary>
    private sealed class ArrowReaderImplementationHolder(ArrowStreamReader reader) : IDisposable
    {
        public Schema Schema => reader.Schema;

        public RecordBatch? ReadNext() => reader.ReadNextRecordBatch();

        public void Dispose() => reader.Dispose();
    }
}
