namespace Acr.Host.Evaluation;

/// <summary>Small descriptive statistics used when reporting results over repeated runs.</summary>
public static class SummaryStatistics
{
    /// <summary>
    /// The mean and the <em>sample</em> standard deviation (divisor n − 1, i.e. numpy's
    /// <c>std(ddof=1)</c>) of the values. The standard deviation of a single value is 0.
    /// NaN values propagate into both results.
    /// </summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The mean and the sample standard deviation.</returns>
    /// <exception cref="ArgumentException">There are no values.</exception>
    public static (double Mean, double Std) MeanStd(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("Cannot compute a mean of no values.", nameof(values));
        }

        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }

        double mean = sum / values.Length;
        if (values.Length == 1)
        {
            return (mean, 0);
        }

        double squares = 0;
        foreach (double v in values)
        {
            double d = v - mean;
            squares += d * d;
        }

        return (mean, Math.Sqrt(squares / (values.Length - 1)));
    }
}
