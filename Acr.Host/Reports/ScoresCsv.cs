using System.Text;
using Acr.Host.IO;

namespace Acr.Host.Reports;

/// <summary>
/// The one <c>scores.csv</c> schema of Acr. Columns, always in this order, each present only when known:
/// <c>row</c> (0-based data row), <c>batch</c> (the batch it was scored in: a group value, a batch index, or an
/// evaluation task's normal class), <c>score</c> (the detector's score, higher = more anomalous), <c>label</c> (the row's
/// label in the data), <c>anomaly</c> (1 if the row is an anomaly of its evaluation task), <c>seed</c> and
/// <c>contamination</c> (of the evaluation run), <c>b1</c>, <c>b2</c> and <c>b3</c> (the baselines' scores on the same batch), and
/// <c>selected</c> (the validated recipe's chosen score; empty with the paper's recipe).
/// <c>acr score</c> writes row, batch, score[, label]; <c>acr evaluate</c> writes them all.
/// </summary>
public static class ScoresCsv
{
    /// <summary>The optional column groups.</summary>
    [Flags]
    public enum Columns
    {
        /// <summary>row, batch, score (always).</summary>
        Scoring = 0,

        /// <summary>label.</summary>
        Label = 1,

        /// <summary>anomaly, seed, contamination, b1, b2, b3, selected.</summary>
        Evaluation = 2,
    }

    /// <summary>One line.</summary>
    /// <param name="Row">Data row.</param>
    /// <param name="Batch">Batch id.</param>
    /// <param name="Score">Score.</param>
    /// <param name="Label">Label, when known.</param>
    /// <param name="IsAnomaly">Ground truth of an evaluation task.</param>
    /// <param name="Seed">Evaluation seed.</param>
    /// <param name="Contamination">Evaluation π.</param>
    /// <param name="B1">Baseline B1's score.</param>
    /// <param name="B2">Baseline B2's score.</param>
    /// <param name="B3">Baseline B3's score.</param>
    /// <param name="Selected">The validated recipe's chosen score (NaN: none, written as an empty field).</param>
    public readonly record struct Record(int Row, string Batch, float Score, string? Label = null, bool IsAnomaly = false, ulong Seed = 0,
        double Contamination = 0, float B1 = 0, float B2 = 0, float B3 = 0, float Selected = float.NaN);

    /// <summary>The header line for <paramref name="columns"/>.</summary>
    /// <param name="columns">Which optional columns.</param>
    public static string Header(Columns columns) =>
        "row,batch,score" + (columns.HasFlag(Columns.Label) ? ",label" : "") + (columns.HasFlag(Columns.Evaluation) ? ",anomaly,seed,contamination,b1,b2,b3,selected" : "");

    /// <summary>Writes the file atomically.</summary>
    /// <param name="path">Destination.</param>
    /// <param name="columns">Which optional columns.</param>
    /// <param name="records">The lines.</param>
    public static void Write(string path, Columns columns, IEnumerable<Record> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var inv = CultureInfo.InvariantCulture;
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            w.WriteLine(Header(columns));
            foreach (var r in records)
            {
                w.Write(r.Row.ToString(inv));
                w.Write(',');
                w.Write(Field(r.Batch));
                w.Write(',');
                w.Write(r.Score.ToString("R", inv));
                if (columns.HasFlag(Columns.Label))
                {
                    w.Write(',');
                    w.Write(Field(r.Label ?? string.Empty));
                }

                if (columns.HasFlag(Columns.Evaluation))
                {
                    w.Write(',');
                    w.Write(r.IsAnomaly ? '1' : '0');
                    w.Write(',');
                    w.Write(r.Seed.ToString(inv));
                    w.Write(',');
                    w.Write(r.Contamination.ToString("R", inv));
                    w.Write(',');
                    w.Write(r.B1.ToString("R", inv));
                    w.Write(',');
                    w.Write(r.B2.ToString("R", inv));
                    w.Write(',');
                    w.Write(r.B3.ToString("R", inv));
                    w.Write(',');
                    if (!float.IsNaN(r.Selected))
                    {
                        w.Write(r.Selected.ToString("R", inv));
                    }
                }

                w.WriteLine();
            }
        });
    }

    /// <summary>Quotes a CSV field when it needs it.</summary>
    /// <param name="field">The field.</param>
    public static string Field(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
    }
}
