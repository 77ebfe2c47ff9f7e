namespace Acr.Host.Training;

/// <summary>
/// Tells a diverging meta-training run from one that converged: the run diverged when its final loss is more than
/// <see cref="Factor"/> times the first loss (both read from the backend). A non-finite loss stops training earlier
/// (<see cref="MetaTrainer"/>). A first loss of zero or below has no scale to compare with and is never called diverging.
/// </summary>
public static class LossDivergence
{
    /// <summary>How many times the first loss the final loss may reach before the run counts as diverging.</summary>
    public const double Factor = 10;

    /// <summary>
    /// Returns a message describing the divergence of <paramref name="losses"/>, or <see langword="null"/> when the run did
    /// not diverge.
    /// </summary>
    /// <param name="losses">The training losses, first to last.</param>
    public static string? Describe(IReadOnlyList<double> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        if (losses.Count < 2)
        {
            return null;
        }

        var first = losses[0];
        var last = losses[^1];
        if (!(first > 0) || !(last > Factor * first))
        {
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"training diverged: the loss grew from {first:G5} (iteration 1) to {last:G5} (iteration {losses.Count}), more than {Factor:G}× the first");
    }
}
