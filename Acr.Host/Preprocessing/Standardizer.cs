namespace Acr.Host.Preprocessing;

/// <summary>
/// Per-feature z-scoring with statistics of the training rows only: mean and population standard
/// deviation (ddof 0) in double precision; a constant feature gets standard deviation 1. Stored with the model.
/// </summary>
public sealed class Standardizer
{
    /// <summary>Creates a standardizer from known statistics.</summary>
    /// <param name="mean">Per-feature mean.</param>
    /// <param name="std">Per-feature standard deviation (all positive).</param>
    public Standardizer(double[] mean, double[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length != std.Length)
        {
            throw new ArgumentException($"Mean has {mean.Length} features but std has {std.Length}.");
        }

        if (std.Any(s => !(s > 0) || !double.IsFinite(s)) || mean.Any(m => !double.IsFinite(m)))
        {
            throw new ArgumentException("Standardizer statistics must be finite with positive standard deviations.");
        }

        Mean = mean;
        Std = std;
    }

    /// <summary>Per-feature mean.</summary>
    public IReadOnlyList<double> Mean { get; }

    /// <summary>Per-feature standard deviation.</summary>
    public IReadOnlyList<double> Std { get; }

    /// <summary>Number of features.</summary>
    public int Features => Mean.Count;

    /// <summary>Fits on the given rows of a row-major matrix.</summary>
    /// <param name="features">Row-major values.</param>
    /// <param name="featureCount">Features per row.</param>
    /// <param name="rows">Indices of the rows to fit on (the training classes' rows).</param>
    public static Standardizer Fit(ReadOnlySpan<float> features, int featureCount, ReadOnlySpan<int> rows)
    {
        if (rows.IsEmpty)
        {
            throw new ArgumentException("Cannot fit a standardizer on zero rows.");
        }

        var mean = new double[featureCount];
        var m2 = new double[featureCount];
        foreach (var r in rows)
        {
            var row = features.Slice(r * featureCount, featureCount);
            for (var j = 0; j < featureCount; j++)
            {
                mean[j] += row[j];
            }
        }

        for (var j = 0; j < featureCount; j++)
        {
            mean[j] /= rows.Length;
        }

        foreach (var r in rows)
        {
            var row = features.Slice(r * featureCount, featureCount);
            for (var j = 0; j < featureCount; j++)
            {
                var d = row[j] - mean[j];
                m2[j] += d * d;
            }
        }

        var std = new double[featureCount];
        for (var j = 0; j < featureCount; j++)
        {
            var s = Math.Sqrt(m2[j] / rows.Length);
            std[j] = s > 0 ? s : 1.0;
        }

        return new Standardizer(mean, std);
    }

    /// <summary>Returns a new row-major matrix <c>(x − mean) / std</c> computed in double, stored as float.</summary>
    /// <param name="features">Row-major values with <see cref="Features"/> columns.</param>
    public float[] Transform(ReadOnlySpan<float> features)
    {
        if (features.Length % Features != 0)
        {
            throw new ArgumentException($"Expected rows of {Features} features; got {features.Length} values.");
        }

        var result = new float[features.Length];
        for (var i = 0; i < features.Length; i++)
        {
            var j = i % Features;
            result[i] = (float)((features[i] - Mean[j]) / Std[j]);
        }

        return result;
    }
}
