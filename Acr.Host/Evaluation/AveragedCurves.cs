namespace Acr.Host.Evaluation;

/// <summary>
/// One method's ROC and precision–recall curves averaged over the test tasks of one contamination level,
/// on a fixed grid (vertical averaging): <see cref="MeanTruePositiveRate"/>[i] is the mean over tasks of
/// each task's ROC curve at false-positive rate <see cref="Grid"/>[i], and <see cref="MeanPrecision"/>[i]
/// the mean interpolated precision (the best precision at recall ≥ <see cref="Grid"/>[i]).
/// </summary>
/// <param name="Method">ACR, B1, B2, B3 or Selected.</param>
/// <param name="Grid">Evaluation points in [0, 1], ascending.</param>
/// <param name="MeanTruePositiveRate">Averaged ROC curve at <paramref name="Grid"/>.</param>
/// <param name="MeanPrecision">Averaged interpolated precision at recall <paramref name="Grid"/>.</param>
/// <param name="MeanAuroc">Mean exact AUROC of the averaged tasks.</param>
/// <param name="MeanAveragePrecision">Mean average precision of the averaged tasks.</param>
/// <param name="Tasks">Number of tasks averaged.</param>
public sealed record AveragedCurve(string Method, double[] Grid, double[] MeanTruePositiveRate, double[] MeanPrecision,
    double MeanAuroc, double MeanAveragePrecision, int Tasks)
{
    /// <summary>Points on the averaging grid.</summary>
    public const int GridPoints = 201;

    /// <summary>
    /// The averaged curves of ACR, B1, B2, B3 (and the validated recipe's Selected) over the tasks (seed × test class) of <paramref name="contamination"/>
    /// in <paramref name="rows"/> (the first draw of the test tasks, as <c>scores.csv</c> holds them).
    /// </summary>
    /// <param name="rows">Scored rows of the evaluation.</param>
    /// <param name="contamination">The π whose tasks to average.</param>
    /// <returns>One curve per method, in the order ACR, B1, B2, B3, and Selected when the rows have its scores.</returns>
    /// <exception cref="ArgumentException">No task of <paramref name="contamination"/> is in <paramref name="rows"/>.</exception>
    public static IReadOnlyList<AveragedCurve> ForContamination(IReadOnlyList<ScoreRow> rows, double contamination)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var tasks = rows.Where(r => r.Contamination == contamination).GroupBy(r => (r.Seed, r.TestClass, r.Batch)).Select(g => g.ToArray()).ToArray();
        if (tasks.Length == 0)
        {
            throw new ArgumentException($"No scored task has contamination {contamination}.", nameof(contamination));
        }

        var grid = Enumerable.Range(0, GridPoints).Select(i => (double)i / (GridPoints - 1)).ToArray();
        var methods = new List<(string Name, Func<ScoreRow, float> Score)> { ("ACR", r => r.Acr), ("B1", r => r.B1), ("B2", r => r.B2), ("B3", r => r.B3) };
        if (tasks.All(t => t.All(r => !float.IsNaN(r.Selected))))
        {
            methods.Add((ZeroShotByClassProtocol.SelectedMethod, r => r.Selected));
        }

        var curves = new List<AveragedCurve>();
        foreach (var (name, score) in methods)
        {
            var tpr = new double[GridPoints];
            var precision = new double[GridPoints];
            double auroc = 0, ap = 0;
            foreach (var task in tasks)
            {
                var scores = task.Select(r => (double)score(r)).ToArray();
                var labels = task.Select(r => r.IsAnomaly).ToArray();
                var (fpr, taskTpr) = BinaryMetrics.RocCurve(scores, labels);
                var (recall, taskPrecision) = BinaryMetrics.PrecisionRecallCurve(scores, labels);
                for (var i = 0; i < GridPoints; i++)
                {
                    tpr[i] += RocAt(fpr, taskTpr, grid[i]);
                    precision[i] += InterpolatedPrecisionAt(recall, taskPrecision, grid[i]);
                }

                auroc += BinaryMetrics.Auroc(scores, labels);
                ap += BinaryMetrics.AveragePrecision(scores, labels);
            }

            for (var i = 0; i < GridPoints; i++)
            {
                tpr[i] /= tasks.Length;
                precision[i] /= tasks.Length;
            }

            curves.Add(new AveragedCurve(name, grid, tpr, precision, auroc / tasks.Length, ap / tasks.Length, tasks.Length));
        }

        return curves;
    }

    /// <summary>
    /// A ROC curve's true-positive rate at false-positive rate <paramref name="x"/>: linear between its points,
    /// the upper end of a vertical step (so the area under the sampled curve tends to the AUROC).
    /// </summary>
    /// <param name="fpr">False-positive rates, non-decreasing, from 0 to 1.</param>
    /// <param name="tpr">True-positive rates, one per point.</param>
    /// <param name="x">Where to read the curve, in [0, 1].</param>
    public static double RocAt(IReadOnlyList<double> fpr, IReadOnlyList<double> tpr, double x)
    {
        ArgumentNullException.ThrowIfNull(fpr);
        ArgumentNullException.ThrowIfNull(tpr);
        var j = 0;
        while (j + 1 < fpr.Count && fpr[j + 1] <= x)
        {
            j++;
        }

        if (j + 1 == fpr.Count)
        {
            return tpr[j];
        }

        var t = (x - fpr[j]) / (fpr[j + 1] - fpr[j]);
        return tpr[j] + (t * (tpr[j + 1] - tpr[j]));
    }

    /// <summary>Interpolated precision at recall <paramref name="r"/>: the best precision among the points with recall ≥ r.</summary>
    /// <param name="recall">Recall of each point.</param>
    /// <param name="precision">Precision of each point.</param>
    /// <param name="r">Recall level, in [0, 1].</param>
    public static double InterpolatedPrecisionAt(IReadOnlyList<double> recall, IReadOnlyList<double> precision, double r)
    {
        ArgumentNullException.ThrowIfNull(recall);
        ArgumentNullException.ThrowIfNull(precision);
        var best = 0.0;
        for (var i = 0; i < recall.Count; i++)
        {
            if (recall[i] >= r && precision[i] > best)
            {
                best = precision[i];
            }
        }

        return best;
    }

    /// <summary>Trapezoidal area under the averaged ROC curve.</summary>
    public double RocArea()
    {
        double area = 0;
        for (var i = 1; i < Grid.Length; i++)
        {
            area += (Grid[i] - Grid[i - 1]) * (MeanTruePositiveRate[i] + MeanTruePositiveRate[i - 1]) / 2;
        }

        return area;
    }
}
