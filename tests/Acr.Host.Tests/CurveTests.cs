using System.Xml.Linq;
using Acr.Numerics;

namespace Acr.Host.Tests;

/// <summary>ROC and precision–recall curves, their averaging over tasks, and the SVG plots evaluate writes.</summary>
public class CurveTests
{
    private static bool[] L(params int[] labels) => [.. labels.Select(l => l != 0)];

    [Fact]
    public void Roc_curve_of_a_hand_example_with_ties()
    {
        // Scores 0.9(a) 0.5(a) 0.5(n) 0.2(n): thresholds 0.9 → (0, ½), 0.5 → (½, 1) (a tie: one diagonal step), 0.2 → (1, 1).
        var (fpr, tpr) = BinaryMetrics.RocCurve([0.2, 0.5, 0.5, 0.9], L(0, 0, 1, 1));
        Assert.Equal([0, 0, 0.5, 1], fpr);
        Assert.Equal([0, 0.5, 1, 1], tpr);
    }

    [Fact]
    public void Precision_recall_curve_of_a_hand_example_with_ties()
    {
        var (recall, precision) = BinaryMetrics.PrecisionRecallCurve([0.2, 0.5, 0.5, 0.9], L(0, 0, 1, 1));
        Assert.Equal([0.5, 1, 1], recall);
        Assert.Equal([1, 2.0 / 3, 0.5], precision);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Curve_areas_equal_the_auroc_and_the_average_precision(int seed)
    {
        var (scores, labels) = RandomTask(new SeededRandom((ulong)seed), 300, 0.2, ties: seed == 3);
        var (fpr, tpr) = BinaryMetrics.RocCurve(scores, labels);
        double area = 0;
        for (var i = 1; i < fpr.Length; i++)
        {
            area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
        }

        Assert.Equal(BinaryMetrics.Auroc(scores, labels), area, 12);

        var (recall, precision) = BinaryMetrics.PrecisionRecallCurve(scores, labels);
        double ap = 0, previous = 0;
        for (var i = 0; i < recall.Length; i++)
        {
            ap += (recall[i] - previous) * precision[i];
            previous = recall[i];
        }

        Assert.Equal(BinaryMetrics.AveragePrecision(scores, labels), ap, 12);
    }

    [Fact]
    public void Roc_is_read_linearly_between_points_and_at_the_top_of_a_vertical_step()
    {
        double[] fpr = [0, 0, 0.5, 1];
        double[] tpr = [0, 0.5, 1, 1];
        Assert.Equal(0.5, AveragedCurve.RocAt(fpr, tpr, 0));
        Assert.Equal(0.75, AveragedCurve.RocAt(fpr, tpr, 0.25));
        Assert.Equal(1, AveragedCurve.RocAt(fpr, tpr, 0.75));
        Assert.Equal(1, AveragedCurve.RocAt(fpr, tpr, 1));
        Assert.Equal(2.0 / 3, AveragedCurve.InterpolatedPrecisionAt([0.5, 1, 1], [1, 2.0 / 3, 0.5], 0.6), 15);
        Assert.Equal(1, AveragedCurve.InterpolatedPrecisionAt([0.5, 1, 1], [1, 2.0 / 3, 0.5], 0.5));
    }

    [Fact]
    public void Averaged_roc_area_matches_the_mean_auroc_of_the_tasks()
    {
        var rng = new SeededRandom(7);
        var rows = new List<ScoreRow>();
        for (var task = 0; task < 6; task++)
        {
            var (acr, labels) = RandomTask(rng, 150 + (10 * task), 0.1, ties: false);
            for (var i = 0; i < acr.Length; i++)
            {
                rows.Add(new ScoreRow(0, 0.1, $"class{task}", i, labels[i] ? "other" : $"class{task}", labels[i], (float)acr[i], (float)rng.NextNormal(), (float)(acr[i] * 0.5)));
            }
        }

        rows.Add(new ScoreRow(0, 0.2, "other", 0, "x", true, 1, 1, 1));
        var curves = AveragedCurve.ForContamination(rows, 0.1);
        Assert.Equal(["ACR", "B1", "B2", "B3"], curves.Select(c => c.Method).ToArray());
        foreach (var c in curves)
        {
            Assert.Equal(6, c.Tasks);
            Assert.Equal(AveragedCurve.GridPoints, c.MeanTruePositiveRate.Length);
            Assert.InRange(c.RocArea() - c.MeanAuroc, -0.01, 0.01);
            Assert.All(c.MeanPrecision, p => Assert.InRange(p, 0, 1));
        }

        Assert.Throws<ArgumentException>(() => AveragedCurve.ForContamination(rows, 0.05));
    }

    [Fact]
    public void Evaluate_writes_a_roc_and_a_precision_recall_plot_per_contamination()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 60, features: 5));
        var outDir = tmp.File("eval");
        var r = CliHarness.Run("evaluate", "--data", data, "--label", "cls", "--seeds", "1", "--out", outDir,
            "--iterations", "3", "--tasks", "4", "--task-size", "32", "--contamination", "0.05,0.2", "--quiet");
        Assert.True(r.ExitCode == 0, r.Error);
        foreach (var name in new[] { "roc-pi0.05.svg", "pr-pi0.05.svg", "roc-pi0.2.svg", "pr-pi0.2.svg" })
        {
            var svg = XDocument.Load(Path.Combine(outDir, name));
            XNamespace ns = "http://www.w3.org/2000/svg";
            Assert.Equal(5, svg.Descendants(ns + "polyline").Count()); // ACR, B1, B2, B3 and the default recipe's Selected
            var legend = string.Join(" ", svg.Descendants(ns + "text").Select(t => t.Value));
            Assert.Contains("ACR", legend);
            Assert.Contains("B2", legend);
            Assert.Contains("B3", legend);
            Assert.Contains("Selected", legend);
        }

        Assert.Empty(Directory.GetFiles(outDir, "*.pending"));
    }

    private static (double[] Scores, bool[] Labels) RandomTask(SeededRandom rng, int n, double anomalyShare, bool ties)
    {
        var labels = Enumerable.Range(0, n).Select(i => i < n * anomalyShare).ToArray();
        var scores = labels.Select(a => (a ? 1.0 : 0.0) + rng.NextNormal()).ToArray();
        if (ties)
        {
            scores = scores.Select(s => Math.Round(s * 4) / 4).ToArray();
        }

        return (scores, labels);
    }
}
