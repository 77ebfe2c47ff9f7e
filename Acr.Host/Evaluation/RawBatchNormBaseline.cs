namespace Acr.Host.Evaluation;

/// <summary>
/// Baseline B2, "raw batch norm": no training; a row's score is its squared distance to the batch mean
/// in units of the batch's own variance, <c>Σ_j (x_j − mean_j)² / (var_j + 1e-5)</c>, with the
/// population variance of the batch. Computed in double precision.
/// </summary>
public static class RawBatchNormBaseline
{
    /// <summary>Variance guard.</summary>
    public const double Epsilon = 1e-5;

    /// <summary>Scores one batch.</summary>
    /// <param name="rows">Row-major batch, n × features.</param>
    /// <param name="features">Features per row.</param>
    /// <param name="scores">n scores.</param>
    public static void Score(ReadOnlySpan<float> rows, int features, Span<float> scores)
    {
        var n = scores.Length;
        if (rows.Length != n * features)
        {
            throw new ArgumentException($"Expected {n} × {features} values; got {rows.Length}.");
        }

        Span<double> mean = features <= 1024 ? stackalloc double[features] : new double[features];
        Span<double> variance = features <= 1024 ? stackalloc double[features] : new double[features];
        mean.Clear();
        variance.Clear();
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < features; j++)
            {
                mean[j] += rows[(i * features) + j];
            }
        }

        for (var j = 0; j < features; j++)
        {
            mean[j] /= n;
        }

        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < features; j++)
            {
                var d = rows[(i * features) + j] - mean[j];
                variance[j] += d * d;
            }
        }

        for (var j = 0; j < features; j++)
        {
            variance[j] /= n;
        }

        for (var i = 0; i < n; i++)
        {
            double s = 0;
            for (var j = 0; j < features; j++)
            {
                var d = rows[(i * features) + j] - mean[j];
                s += d * d / (variance[j] + Epsilon);
            }

            scores[i] = (float)s;
        }
    }
}
