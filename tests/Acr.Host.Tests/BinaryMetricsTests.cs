namespace Acr.Host.Tests;

public class BinaryMetricsTests
{
    private static bool[] L(params int[] labels) => [.. labels.Select(l => l != 0)];

    [Fact]
    public void Auroc_matches_hand_computed_value()
    {
        // Ranks: 0.1→1, 0.35→2, 0.4→3, 0.8→4; anomalies have ranks 2 and 4: U = 6 − 3 = 3; 3 / (2·2) = 0.75.
        Assert.Equal(0.75, BinaryMetrics.Auroc([0.1, 0.4, 0.35, 0.8], L(0, 0, 1, 1)), 15);
    }

    [Fact]
    public void Auroc_is_one_half_when_all_scores_tie()
    {
        Assert.Equal(0.5, BinaryMetrics.Auroc([0.5, 0.5, 0.5, 0.5], L(0, 1, 0, 1)));
        Assert.Equal(0.5, BinaryMetrics.Auroc([3, 3, 3], L(1, 0, 0)));
    }

    [Fact]
    public void Auroc_counts_a_tie_across_classes_as_one_half()
    {
        // Pairs (anomaly, normal): (0.5, 0.2) 1, (0.5, 0.5) ½, (0.9, 0.2) 1, (0.9, 0.5) 1 → 3.5 / 4.
        Assert.Equal(0.875, BinaryMetrics.Auroc([0.2, 0.5, 0.5, 0.9], L(0, 0, 1, 1)));

        // Anomalies 2, 3, 3 vs normals 1, 2, 3: 2 → 1 + ½ + 0; each 3 → 1 + 1 + ½. Total 6.5 / 9.
        Assert.Equal(6.5 / 9, BinaryMetrics.Auroc([1, 2, 2, 3, 3, 3], L(0, 1, 0, 1, 0, 1)), 15);
    }

    [Fact]
    public void Auroc_perfect_inverted_and_infinite_scores()
    {
        Assert.Equal(1.0, BinaryMetrics.Auroc([0, 1, 2, 3], L(0, 0, 1, 1)));
        Assert.Equal(0.0, BinaryMetrics.Auroc([3, 2, 1, 0], L(0, 0, 1, 1)));
        Assert.Equal(1.0, BinaryMetrics.Auroc([double.NegativeInfinity, double.PositiveInfinity], L(0, 1)));
    }

    [Fact]
    public void Auroc_does_not_depend_on_input_order()
    {
        double[] scores = [0.3, 0.1, 0.3, 0.7, 0.2, 0.7, 0.9, 0.1];
        bool[] labels = L(1, 0, 0, 1, 0, 0, 1, 1);
        double expected = BruteForceAuroc(scores, labels);
        Assert.Equal(expected, BinaryMetrics.Auroc(scores, labels), 15);
        Assert.Equal(expected, BinaryMetrics.Auroc([.. scores.Reverse()], [.. labels.Reverse()]), 15);
    }

    [Fact]
    public void Auroc_rejects_one_class_nan_and_length_mismatch()
    {
        var ex = Assert.Throws<ArgumentException>(() => BinaryMetrics.Auroc([0.1, 0.2], L(0, 0)));
        Assert.Contains("both anomalies and normal samples", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auroc([0.1, 0.2], L(1, 1)));
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => BinaryMetrics.Auroc([0.1, double.NaN], L(0, 1))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auroc([0.1, 0.2, 0.3], L(0, 1)));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auroc([], []));
    }

    [Fact]
    public void AveragePrecision_matches_hand_computed_values()
    {
        // Descending: 0.8 (anomaly) P=1 R=½; 0.4 (normal) R unchanged; 0.35 (anomaly) P=⅔ R=1 → ½·1 + ½·⅔ = 5/6.
        Assert.Equal(5.0 / 6, BinaryMetrics.AveragePrecision([0.1, 0.4, 0.35, 0.8], L(0, 0, 1, 1)), 15);

        // All tied: one threshold with P=½, R=1.
        Assert.Equal(0.5, BinaryMetrics.AveragePrecision([0.5, 0.5, 0.5, 0.5], L(0, 1, 0, 1)));

        // Tie across classes enters together: 0.9 (normal) R=0; {0.5, 0.5} P=⅓ R=½; 0.2 P=½ R=1 → ½·⅓ + ½·½ = 5/12.
        Assert.Equal(5.0 / 12, BinaryMetrics.AveragePrecision([0.9, 0.5, 0.5, 0.2], L(0, 1, 0, 1)), 15);

        // Only anomalies: precision is 1 everywhere.
        Assert.Equal(1.0, BinaryMetrics.AveragePrecision([0.3, 0.1], L(1, 1)));
    }

    [Fact]
    public void AveragePrecision_rejects_no_anomalies_and_nan()
    {
        Assert.Contains("at least one anomaly", Assert.Throws<ArgumentException>(() => BinaryMetrics.AveragePrecision([0.1, 0.2], L(0, 0))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => BinaryMetrics.AveragePrecision([double.NaN, 0.2], L(1, 0)));
    }

    [Fact]
    public void Quantile_matches_numpy_linear_interpolation()
    {
        Assert.Equal(7.5, BinaryMetrics.Quantile([10, 0], 0.75));
        Assert.Equal(2.5, BinaryMetrics.Quantile([4, 1, 3, 2], 0.5));
        Assert.Equal(1, BinaryMetrics.Quantile([4, 1, 3, 2], 0));
        Assert.Equal(4, BinaryMetrics.Quantile([4, 1, 3, 2], 1));
        Assert.Equal(5, BinaryMetrics.Quantile([5], 0.3));
        Assert.Equal(8.2, BinaryMetrics.Quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.8), 12);
    }

    [Fact]
    public void F1AtQuantile_matches_hand_computed_values()
    {
        double[] scores = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

        // Threshold = quantile(0.8) = 8.2: flagged {9, 10}; anomalies {7, 9, 10}: TP 2, FP 0, FN 1 → 4/5.
        Assert.Equal(0.8, BinaryMetrics.F1AtQuantile(scores, L(0, 0, 0, 0, 0, 0, 1, 0, 1, 1), 0.2), 12);

        // Threshold = quantile(0.75) of 1..5 = 4 exactly; strictly greater flags only 5: TP 1, FN 1 → 2/3.
        Assert.Equal(2.0 / 3, BinaryMetrics.F1AtQuantile([1, 2, 3, 4, 5], L(0, 0, 0, 1, 1), 0.25), 15);

        // Nothing flagged (all tied) and no anomalies: 0/0 is reported as 0.
        Assert.Equal(0, BinaryMetrics.F1AtQuantile([1, 1, 1], L(0, 0, 0), 0.1));

        // Nothing flagged but anomalies exist: F1 = 0.
        Assert.Equal(0, BinaryMetrics.F1AtQuantile([1, 1, 1], L(0, 1, 0), 0.1));
    }

    [Fact]
    public void F1AtQuantile_rejects_bad_contamination()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryMetrics.F1AtQuantile([1, 2], L(0, 1), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryMetrics.F1AtQuantile([1, 2], L(0, 1), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryMetrics.F1AtQuantile([1, 2], L(0, 1), double.NaN));
    }

    [Fact]
    public void MeanStd_uses_the_sample_standard_deviation()
    {
        (double mean, double std) = SummaryStatistics.MeanStd([2, 4, 4, 4, 5, 5, 7, 9]);
        Assert.Equal(5, mean);
        Assert.Equal(Math.Sqrt(32.0 / 7), std, 15);
        Assert.Equal((3.0, 0.0), SummaryStatistics.MeanStd([3]));
        Assert.Throws<ArgumentException>(() => SummaryStatistics.MeanStd([]));
    }

    private static double BruteForceAuroc(double[] scores, bool[] labels)
    {
        double wins = 0;
        int pairs = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            for (int j = 0; j < scores.Length; j++)
            {
                if (labels[i] && !labels[j])
                {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
            }
        }

        return wins / pairs;
    }
}
