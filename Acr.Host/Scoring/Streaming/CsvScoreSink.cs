using System.Buffers.Text;
using System.Text;
using Acr.Host.Reports;

namespace Acr.Host.Scoring.Streaming;

/// <summary>Where scored windows go, in file order.</summary>
internal interface IScoreSink
{
    /// <summary>Writes the rows of one window.</summary>
    void Write(ScoreWindow window);

    /// <summary>Finishes the output (footers, flush) after the last window.</summary>
    void Complete();
}

/// <summary>
/// Writes <c>scores.csv</c> rows (<see cref="ScoresCsv"/>: row, batch, score[, label]) as UTF-8 straight into a byte
/// buffer: the row by <see cref="Utf8Formatter"/>, the score with the shortest round-trip form (<c>"R"</c>, as
/// <see cref="ScoresCsv"/> writes it), batch ids and labels encoded once each; nothing is allocated per row.
/// </summary>
internal sealed class CsvScoreSink : IScoreSink
{
    private const int BufferBytes = 1 << 20;
    private const int MaxCachedLabels = 1 << 16;
    private static readonly byte[] NewLine = Encoding.UTF8.GetBytes(Environment.NewLine);

    private readonly Stream _out;
    private readonly bool _labels;
    private readonly byte[] _buffer = new byte[BufferBytes];
    private readonly Dictionary<string, byte[]> _encoded = new(StringComparer.Ordinal);
    private byte[][] _batchIds = [];
    private int _used;

    /// <summary>Starts the file with its header.</summary>
    /// <param name="output">Where to write (not disposed).</param>
    /// <param name="labels">Whether to write the label column.</param>
    public CsvScoreSink(Stream output, bool labels)
    {
        _out = output;
        _labels = labels;
        Append(Encoding.UTF8.GetBytes(ScoresCsv.Header(labels ? ScoresCsv.Columns.Label : ScoresCsv.Columns.Scoring)));
        Append(NewLine);
    }

    public void Write(ScoreWindow window)
    {
        if (_batchIds.Length < window.Lengths.Length)
        {
            _batchIds = new byte[window.Lengths.Length][];
        }

        for (var b = 0; b < window.Lengths.Length; b++)
        {
            _batchIds[b] = Encode(window.BatchIds[b]);
        }

        for (var r = 0; r < window.Rows; r++)
        {
            var id = _batchIds[window.BatchOfRow[r]];
            var label = _labels ? Label(window.Labels![r]!) : [];
            if (BufferBytes - _used < 64 + id.Length + label.Length)
            {
                Flush();
                if (BufferBytes < 64 + id.Length + label.Length)
                {
                    throw new AcrDataException($"Row {window.FirstRow + r}: its label or batch id is longer than {BufferBytes >> 10} KB; shorten it");
                }
            }

            var span = _buffer.AsSpan(_used);
            Utf8Formatter.TryFormat(window.FirstRow + r, span, out var n);
            span[n++] = (byte)',';
            id.CopyTo(span[n..]);
            n += id.Length;
            span[n++] = (byte)',';
            window.Scores[r].TryFormat(span[n..], out var w, "R", CultureInfo.InvariantCulture);
            n += w;
            if (_labels)
            {
                span[n++] = (byte)',';
                label.CopyTo(span[n..]);
                n += label.Length;
            }

            NewLine.CopyTo(span[n..]);
            _used += n + NewLine.Length;
        }
    }

    public void Complete()
    {
        Flush();
        _out.Flush();
    }

    private static byte[] Encode(string field) => Encoding.UTF8.GetBytes(ScoresCsv.Field(field));

    private byte[] Label(string label)
    {
        if (_encoded.TryGetValue(label, out var bytes))
        {
            return bytes;
        }

        bytes = Encode(label);
        if (_encoded.Count < MaxCachedLabels)
        {
            _encoded[label] = bytes;
        }

        return bytes;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (BufferBytes - _used < bytes.Length)
        {
            Flush();
        }

        bytes.CopyTo(_buffer.AsSpan(_used));
        _used += bytes.Length;
    }

    private void Flush()
    {
        _out.Write(_buffer, 0, _used);
        _used = 0;
    }
}
