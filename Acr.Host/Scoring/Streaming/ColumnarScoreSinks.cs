using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;

namespace Acr.Host.Scoring.Streaming;

/// <summary>The columns of a window, decoded for the columnar writers: row (int64), batch (text), score (float32), label (text).</summary>
internal static class WindowColumns
{
    public static long[] Rows(ScoreWindow w)
    {
        var rows = new long[w.Rows];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = w.FirstRow + r;
        }

        return rows;
    }

    public static string[] BatchIds(ScoreWindow w)
    {
        var ids = new string[w.Rows];
        for (var r = 0; r < ids.Length; r++)
        {
            ids[r] = w.BatchIds[w.BatchOfRow[r]];
        }

        return ids;
    }
}

/// <summary>Writes the scores as Parquet (Parquet.Net), one row group per window: <c>row</c> int64, <c>batch</c> string, <c>score</c> float, <c>label</c> string.</summary>
internal sealed class ParquetScoreSink : IScoreSink
{
    private readonly DataField<long> _row = new("row");
    private readonly DataField<string> _batch = new("batch", false);
    private readonly DataField<float> _score = new("score");
    private readonly DataField<string>? _label;
    private readonly ParquetWriter _writer;

    public ParquetScoreSink(Stream output, bool labels)
    {
        _label = labels ? new DataField<string>("label", false) : null;
        Parquet.Schema.Field[] fields = _label is null ? [_row, _batch, _score] : [_row, _batch, _score, _label];
        _writer = ParquetWriter.CreateAsync(new ParquetSchema(fields), output, null, append: false).GetAwaiter().GetResult();
    }

    public void Write(ScoreWindow window)
    {
        using var group = _writer.CreateRowGroup();
        group.WriteAsync<long>(_row, WindowColumns.Rows(window).AsMemory()).GetAwaiter().GetResult();
        group.WriteAsync(_batch, WindowColumns.BatchIds(window)).GetAwaiter().GetResult();
        group.WriteAsync<float>(_score, window.Scores.AsMemory(0, window.Rows)).GetAwaiter().GetResult();
        if (_label is not null)
        {
            group.WriteAsync(_label, window.Labels![..window.Rows]!).GetAwaiter().GetResult();
        }

        group.CompleteValidate();
    }

    public void Complete() => _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>Writes the scores as Arrow IPC (file or stream format), one record batch per window, with the columns of <see cref="ParquetScoreSink"/>.</summary>
internal sealed class ArrowScoreSink : IScoreSink
{
    private readonly Schema _schema;
    private readonly ArrowStreamWriter _writer;
    private readonly bool _labels;
    private readonly bool _file;

    public ArrowScoreSink(Stream output, bool labels, bool file)
    {
        _labels = labels;
        _file = file;
        var builder = new Schema.Builder()
            .Field(f => f.Name("row").DataType(Int64Type.Default).Nullable(false))
            .Field(f => f.Name("batch").DataType(StringType.Default).Nullable(false))
            .Field(f => f.Name("score").DataType(FloatType.Default).Nullable(false));
        if (labels)
        {
            builder.Field(f => f.Name("label").DataType(StringType.Default).Nullable(false));
        }

        _schema = builder.Build();
        _writer = file ? new ArrowFileWriter(output, _schema, leaveOpen: true) : new ArrowStreamWriter(output, _schema, leaveOpen: true);
    }

    public void Write(ScoreWindow window)
    {
        var n = window.Rows;
        var arrays = new List<IArrowArray>
        {
            new Int64Array.Builder().Reserve(n).Append(WindowColumns.Rows(window).AsSpan()).Build(),
            Strings(WindowColumns.BatchIds(window)),
            new FloatArray.Builder().Reserve(n).Append(window.Scores.AsSpan(0, n)).Build(),
        };
        if (_labels)
        {
            arrays.Add(Strings(window.Labels![..n]!));
        }

        using var batch = new RecordBatch(_schema, arrays, n);
        _writer.WriteRecordBatch(batch);
    }

    public void Complete()
    {
        _writer.WriteEnd();
        _writer.Dispose();
    }

    private static StringArray Strings(string[] values)
    {
        var b = new StringArray.Builder().Reserve(values.Length);
        foreach (var v in values)
        {
            b.Append(v);
        }

        return b.Build();
    }
}
