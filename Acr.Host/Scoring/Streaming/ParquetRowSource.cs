using Parquet;
using Parquet.Schema;

namespace Acr.Host.Scoring.Streaming;

/// <summary>A Parquet file read one row group at a time (Parquet.Net): numeric columns are features, label and group columns may be text or integers.</summary>
internal sealed class ParquetRowSource : ColumnarRowSource
{
    private readonly FileStream _file;
    private readonly ParquetReader _reader;
    private readonly DataField[] _fields;
    private int _rowGroup;

    private ParquetRowSource(string path, CsvReadOptions options, FileStream file, ParquetReader reader)
        : base(path, options)
    {
        _file = file;
        _reader = reader;
        _fields = reader.Schema.GetDataFields();
        if (_fields.Any(f => f.IsArray) || reader.Schema.Fields.Count != _fields.Length)
        {
            throw new AcrDataException($"Data file '{path}' has nested or repeated columns; score a flat table (one value per column and row)");
        }

        ColumnNames = [.. _fields.Select(f => f.Name)];
        ResolveColumns(c => IsNumeric(_fields[c].ClrType));
    }

    protected override IReadOnlyList<string> ColumnNames { get; }

    protected override string FormatName => "Parquet";

    /// <summary>Opens the file and reads its schema.</summary>
    public static ParquetRowSource Open(string path, CsvReadOptions options)
    {
        var file = DataFiles.OpenRead(path);
        try
        {
            var reader = ParquetReader.CreateAsync(file, leaveStreamOpen: true).GetAwaiter().GetResult();
            return new ParquetRowSource(path, options, file, reader);
        }
        catch (Exception ex) when (ex is not AcrDataException)
        {
            file.Dispose();
            throw new AcrDataException($"Data file '{path}' cannot be read as Parquet: {ex.Message}; check that it is a Parquet file (the extension .parquet chooses the format)", ex);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public override void Dispose()
    {
        _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _file.Dispose();
    }

    protected override bool NextChunk(int[] features, int label, int group, float[][] columns, out string?[]? labels, out string?[]? groups, out int rows)
    {
        labels = groups = null;
        rows = 0;
        while (_rowGroup < _reader.RowGroupCount)
        {
            var rg = _reader.OpenRowGroupReader(_rowGroup++);
            if (rg.RowCount > int.MaxValue / 2)
            {
                throw new AcrDataException($"Data file '{Source}': row group {_rowGroup - 1} has {rg.RowCount} rows; write the file with smaller row groups");
            }

            rows = (int)rg.RowCount;
            if (rows == 0)
            {
                continue;
            }

            try
            {
                for (var j = 0; j < features.Length; j++)
                {
                    columns[j] = ReadFloats(rg, _fields[features[j]], rows);
                }

                labels = label >= 0 ? ReadStrings(rg, _fields[label], rows) : null;
                groups = group >= 0 ? ReadStrings(rg, _fields[group], rows) : null;
            }
            catch (Exception ex) when (ex is not AcrDataException and not OperationCanceledException)
            {
                throw new AcrDataException($"Data file '{Source}': row group {_rowGroup - 1} cannot be read: {ex.Message}", ex);
            }

            return true;
        }

        return false;
    }

    private static bool IsNumeric(Type t) =>
        t == typeof(float) || t == typeof(double) || t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(sbyte)
        || t == typeof(byte) || t == typeof(ushort) || t == typeof(uint) || t == typeof(ulong) || t == typeof(decimal);

    private static float[] ReadFloats(ParquetRowGroupReader rg, DataField field, int rows)
    {
        var t = field.ClrType;
        if (t == typeof(float))
        {
            return Read<float>(rg, field, rows, v => v);
        }

        if (t == typeof(double))
        {
            return Read<double>(rg, field, rows, v => (float)v);
        }

        if (t == typeof(int))
        {
            return Read<int>(rg, field, rows, v => v);
        }

        if (t == typeof(long))
        {
            return Read<long>(rg, field, rows, v => v);
        }

        if (t == typeof(short))
        {
            return Read<short>(rg, field, rows, v => v);
        }

        if (t == typeof(sbyte))
        {
            return Read<sbyte>(rg, field, rows, v => v);
        }

        if (t == typeof(byte))
        {
            return Read<byte>(rg, field, rows, v => v);
        }

        if (t == typeof(ushort))
        {
            return Read<ushort>(rg, field, rows, v => v);
        }

        if (t == typeof(uint))
        {
            return Read<uint>(rg, field, rows, v => v);
        }

        if (t == typeof(ulong))
        {
            return Read<ulong>(rg, field, rows, v => v);
        }

        return Read<decimal>(rg, field, rows, v => (float)v);
    }

    private static float[] Read<T>(ParquetRowGroupReader rg, DataField field, int rows, Func<T, float> convert)
        where T : struct
    {
        var result = new float[rows];
        if (field.IsNullable)
        {
            var values = new T?[rows];
            rg.ReadAsync<T>(field, values.AsMemory()).AsTask().GetAwaiter().GetResult();
            for (var i = 0; i < rows; i++)
            {
                result[i] = values[i] is { } v ? convert(v) : float.NaN;
            }
        }
        else
        {
            var values = new T[rows];
            rg.ReadAsync<T>(field, values.AsMemory()).AsTask().GetAwaiter().GetResult();
            for (var i = 0; i < rows; i++)
            {
                result[i] = convert(values[i]);
            }
        }

        return result;
    }

    private static string?[] ReadStrings(ParquetRowGroupReader rg, DataField field, int rows)
    {
        var pool = new StringPool();
        if (field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>))
        {
            var values = new string?[rows];
            rg.ReadAsync(field, values.AsMemory()!).AsTask().GetAwaiter().GetResult();
            for (var i = 0; i < rows; i++)
            {
                values[i] = values[i] is { } s && s.Trim().Length > 0 ? pool.Get(s.AsSpan().Trim()) : null;
            }

            return values;
        }

        if (!IsNumeric(field.ClrType))
        {
            throw new AcrDataException($"column '{field.Name}' has type {field.ClrType.Name}; a label or group column must be text or numbers");
        }

        var numbers = ReadFloatsAsText(rg, field, rows);
        return [.. numbers.Select(v => v is null ? null : pool.Get(v))];
    }

    private static string?[] ReadFloatsAsText(ParquetRowGroupReader rg, DataField field, int rows)
    {
        var t = field.ClrType;
        if (t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(sbyte) || t == typeof(byte) || t == typeof(ushort) || t == typeof(uint))
        {
            var wide = Read<long>(rg, field, rows, v => v);
            return [.. wide.Select(v => float.IsNaN(v) ? null : ((long)v).ToString(CultureInfo.InvariantCulture))];
        }

        return [.. ReadFloats(rg, field, rows).Select(v => float.IsNaN(v) ? null : v.ToString("R", CultureInfo.InvariantCulture))];
    }
}
