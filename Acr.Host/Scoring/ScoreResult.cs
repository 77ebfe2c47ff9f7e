using Acr.Host.Reports;

namespace Acr.Host.Scoring;

/// <summary>The scores of a data set, in scoring order: row, batch, score and (when known) label of each.</summary>
/// <param name="Layout">How the rows were batched.</param>
/// <param name="Scores">One score per scoring position; higher = more anomalous.</param>
/// <param name="Labels">The data's label of each data row, or null.</param>
public sealed record ScoreResult(BatchLayout Layout, IReadOnlyList<float> Scores, IReadOnlyList<string>? Labels)
{
    /// <summary>The score of each data row, in file order.</summary>
    public float[] ScoresByRow()
    {
        var byRow = new float[Scores.Count];
        for (var i = 0; i < Scores.Count; i++)
        {
            byRow[Layout.Order[i]] = Scores[i];
        }

        return byRow;
    }

    /// <summary>The batch id of each data row, in file order.</summary>
    public string[] BatchIdsByRow()
    {
        var byRow = new string[Scores.Count];
        for (var i = 0; i < Scores.Count; i++)
        {
            byRow[Layout.Order[i]] = Layout.BatchIds[i];
        }

        return byRow;
    }

    /// <summary>Writes <c>scores.csv</c> (row, batch, score, and label when known; see <see cref="ScoresCsv"/>) in file order, atomically.</summary>
    /// <param name="path">Destination.</param>
    public void WriteCsv(string path)
    {
        var scores = ScoresByRow();
        var ids = BatchIdsByRow();
        ScoresCsv.Write(path, Labels is null ? ScoresCsv.Columns.Scoring : ScoresCsv.Columns.Scoring | ScoresCsv.Columns.Label,
            Enumerable.Range(0, scores.Length).Select(r => new ScoresCsv.Record(r, ids[r], scores[r], Labels?[r])));
    }
}
