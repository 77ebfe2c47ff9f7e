namespace Acr.Host.Evaluation;

/// <summary>
/// Threshold-free and thresholded metrics for binary anomaly detection, in double precision.
/// Scores are "higher = more anomalous"; labels are <see langword="true"/> for anomalies (the
/// positive class). All methods validate their inputs: the two spans must have the same length
/// and no score may be NaN (±∞ are allowed and order as expected).
/// </summary>
public static class BinaryMetrics
{
    /// <summary>
    /// Area under the ROC curve, computed exactly as the Mann–Whitney U statistic divided by
    /// n_pos·n_neg. Tied scores get average ranks, so a tie between an anomaly and a normal
    /// sample counts one half. Equals scikit-learn's <c>roc_auc_score</c>.
    /// </summary>
    /// <param name="scores">Anomaly scores.</param>
    /// <param name="isAnomaly">Ground truth, one per score.</param>
    /// <returns>The AUROC in [0, 1]; 0.5 for uninformative scores.</returns>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or one of the classes is absent.</exception>
    public static double Auroc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isAnomaly)
    {
        (int positives, int negatives) = Validate(scores, isAnomaly);
        if (positives == 0 || negatives == 0)
        {
            throw new ArgumentException(
                $"AUROC needs both anomalies and normal samples, but all {scores.Length} samples are {(positives == 0 ? "normal" : "anomalies")}; evaluate on data that contains both classes.",
                nameof(isAnomaly));
        }

        (double[] sorted, bool[] labels) = SortAscending(scores, isAnomaly);

        // U = Σ over anomalies of (#normals with a lower score + ½ #normals with an equal score).
        double u = 0;
        long negativesBelow = 0;
        int i = 0;
        while (i < sorted.Length)
        {
            int j = i;
            long groupPositives = 0;
            while (j < sorted.Length && sorted[j] == sorted[i])
            {
                if (labels[j])
                {
                    groupPositives++;
                }

                j++;
            }

            long groupNegatives = j - i - groupPositives;
            u += groupPositives * (negativesBelow + (0.5 * groupNegatives));
            negativesBelow += groupNegatives;
            i = j;
        }

        return u / ((double)positives * negatives);
    }

    /// <summary>
    /// Average precision (area under the precision–recall curve) as scikit-learn's
    /// <c>average_precision_score</c>: Σₖ (Rₖ − Rₖ₋₁)·Pₖ over the distinct score thresholds taken
    /// from the highest down, where all samples with a score ≥ the threshold are predicted
    /// anomalous (so equal scores enter together).
    /// </summary>
    /// <param name="scores">Anomaly scores.</param>
    /// <param name="isAnomaly">Ground truth, one per score.</param>
    /// <returns>The average precision in [0, 1]; 1 when there are no normal samples.</returns>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or there are no anomalies.</exception>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isAnomaly)
    {
        (int positives, _) = Validate(scores, isAnomaly);
        if (positives == 0)
        {
            throw new ArgumentException(
                $"Average precision needs at least one anomaly, but all {scores.Length} samples are normal; evaluate on data that contains anomalies.",
                nameof(isAnomaly));
        }

        double ap = 0;
        double previousRecall = 0;
        WalkThresholds(scores, isAnomaly, (truePositives, flagged) =>
        {
            double recall = (double)truePositives / positives;
            double precision = (double)truePositives / flagged;
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
        });

        return ap;
    }

    /// <summary>
    /// F1 score when the top <paramref name="contamination"/> fraction of scores is flagged:
    /// the threshold is the (1 − <paramref name="contamination"/>) quantile of the scores with
    /// linear interpolation (<c>numpy.quantile(scores, 1 - contamination)</c>), and a sample is
    /// predicted anomalous iff its score is strictly greater than the threshold.
    /// F1 = 2TP / (2TP + FP + FN), and 0 when that is 0/0.
    /// </summary>
    /// <param name="scores">Anomaly scores.</param>
    /// <param name="isAnomaly">Ground truth, one per score.</param>
    /// <param name="contamination">Expected fraction of anomalies, in (0, 1).</param>
    /// <returns>The F1 score in [0, 1].</returns>
    /// <exception cref="ArgumentException">Lengths differ, the input is empty, a score is NaN, or the contamination is outside (0, 1).</exception>
    public static double F1AtQuantile(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isAnomaly, double contamination)
    {
        if (!(contamination > 0 && contamination < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(contamination), contamination, "The contamination is the expected fraction of anomalies and must be strictly between 0 and 1 (e.g. 0.1).");
        }

        Validate(scores, isAnomaly);
        double threshold = Quantile(scores, 1 - contamination);
        long tp = 0;
        long fp = 0;
        long fn = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            bool predicted = scores[i] > threshold;
            if (predicted && isAnomaly[i])
            {
                tp++;
            }
            else if (predicted)
            {
                fp++;
            }
            else if (isAnomaly[i])
            {
                fn++;
            }
        }

        long denominator = (2 * tp) + fp + fn;
        return denominator == 0 ? 0 : 2.0 * tp / denominator;
    }

    /// <summary>
    /// The ROC curve: one point (false-positive rate, true-positive rate) per distinct score threshold, taken
    /// from the highest down (all samples with a score ≥ the threshold are flagged, so equal scores enter
    /// together and a tie is a diagonal segment), from (0, 0) to (1, 1). The trapezoidal area under these
    /// points is exactly <see cref="Auroc"/>.
    /// </summary>
    /// <param name="scores">Anomaly scores.</param>
    /// <param name="isAnomaly">Ground truth, one per score.</param>
    /// <returns>Both coordinates, non-decreasing, starting at 0 and ending at 1.</returns>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or one of the classes is absent.</exception>
    public static (double[] FalsePositiveRate, double[] TruePositiveRate) RocCurve(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isAnomaly)
    {
        (int positives, int negatives) = Validate(scores, isAnomaly);
        if (positives == 0 || negatives == 0)
        {
            throw new ArgumentException(
                $"A ROC curve needs both anomalies and normal samples, but all {scores.Length} samples are {(positives == 0 ? "normal" : "anomalies")}.",
                nameof(isAnomaly));
        }

        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        WalkThresholds(scores, isAnomaly, (tp, flagged) =>
        {
            fpr.Add((double)(flagged - tp) / negatives);
            tpr.Add((double)tp / positives);
        });
        return ([.. fpr], [.. tpr]);
    }

    /// <summary>
    /// The precision–recall curve: one point (recall, precision) per distinct score threshold from the
    /// highest down, as in <see cref="AveragePrecision"/> (whose value is Σ (Rₖ − Rₖ₋₁)·Pₖ over these points).
    /// </summary>
    /// <param name="scores">Anomaly scores.</param>
    /// <param name="isAnomaly">Ground truth, one per score.</param>
    /// <returns>Recall (non-decreasing, ending at 1) and precision, one per distinct score.</returns>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or there are no anomalies.</exception>
    public static (double[] Recall, double[] Precision) PrecisionRecallCurve(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isAnomaly)
    {
        (int positives, _) = Validate(scores, isAnomaly);
        if (positives == 0)
        {
            throw new ArgumentException($"A precision-recall curve needs at least one anomaly, but all {scores.Length} samples are normal.", nameof(isAnomaly));
        }

        var recall = new List<double>();
        var precision = new List<double>();
        WalkThresholds(scores, isAnomaly, (tp, flagged) =>
        {
            recall.Add((double)tp / positives);
            precision.Add((double)tp / flagged);
        });
        return ([.. recall], [.. precision]);
    }

    /// <summary>
    /// Calls <paramref name="atThreshold"/>(true positives, flagged samples) for each distinct score from the
    /// highest down, with every sample scoring at least that much flagged.
    /// </summary>
    private static void WalkThresholds(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isAnomaly, Action<long, long> atThreshold)
    {
        (double[] sorted, bool[] labels) = SortAscending(scores, isAnomaly);
        long truePositives = 0;
        long flagged = 0;
        int j = sorted.Length - 1;
        while (j >= 0)
        {
            int i = j;
            while (i >= 0 && sorted[i] == sorted[j])
            {
                if (labels[i])
                {
                    truePositives++;
                }

                flagged++;
                i--;
            }

            atThreshold(truePositives, flagged);
            j = i;
        }
    }

    /// <summary>
    /// The <paramref name="q"/> quantile with linear interpolation between order statistics,
    /// matching <c>numpy.quantile(values, q)</c> (method "linear") bit for bit.
    /// </summary>
    /// <param name="values">The sample; not modified.</param>
    /// <param name="q">The quantile, in [0, 1].</param>
    /// <returns>The interpolated quantile.</returns>
    /// <exception cref="ArgumentException">The sample is empty, contains NaN, or <paramref name="q"/> is outside [0, 1].</exception>
    public static double Quantile(ReadOnlySpan<double> values, double q)
    {
        if (!(q >= 0 && q <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "The quantile must be between 0 and 1.");
        }

        if (values.IsEmpty)
        {
            throw new ArgumentException("Cannot take a quantile of an empty sample.", nameof(values));
        }

        double[] sorted = values.ToArray();
        if (Array.Exists(sorted, double.IsNaN))
        {
            throw new ArgumentException("The sample contains NaN; remove or replace it first.", nameof(values));
        }

        Array.Sort(sorted);
        double virtualIndex = (sorted.Length - 1) * q;
        int lower = (int)Math.Floor(virtualIndex);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        lower = Math.Min(lower, sorted.Length - 1);
        double gamma = virtualIndex - lower;
        double a = sorted[lower];
        double b = sorted[upper];
        double diff = b - a;

        // numpy's _lerp: a + diff·t, or b − diff·(1 − t) when t ≥ ½ (more accurate near b).
        return gamma >= 0.5 ? b - (diff * (1 - gamma)) : a + (diff * gamma);
    }

    private static (int Positives, int Negatives) Validate(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isAnomaly)
    {
        if (scores.Length != isAnomaly.Length)
        {
            throw new ArgumentException($"There are {scores.Length} scores but {isAnomaly.Length} labels; pass one label per score.", nameof(isAnomaly));
        }

        if (scores.IsEmpty)
        {
            throw new ArgumentException("No scores were given; a metric needs at least one sample.", nameof(scores));
        }

        int positives = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (double.IsNaN(scores[i]))
            {
                throw new ArgumentException($"Score {i} is NaN; the detector produced an invalid score, so no metric can be computed.", nameof(scores));
            }

            if (isAnomaly[i])
            {
                positives++;
            }
        }

        return (positives, scores.Length - positives);
    }

    private static (double[] Sorted, bool[] Labels) SortAscending(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isAnomaly)
    {
        double[] sorted = scores.ToArray();
        bool[] labels = isAnomaly.ToArray();
        Array.Sort(sorted, labels);
        return (sorted, labels);
    }
}
