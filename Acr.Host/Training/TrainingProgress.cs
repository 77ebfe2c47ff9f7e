namespace Acr.Host.Training;

/// <summary>A report after one meta-training iteration.</summary>
/// <param name="Iteration">1-based iteration just finished.</param>
/// <param name="Iterations">Total iterations.</param>
/// <param name="Loss">The ACR objective of this iteration's tasks (before the step).</param>
/// <param name="Elapsed">Time since training started.</param>
public readonly record struct TrainingProgress(int Iteration, int Iterations, double Loss, TimeSpan Elapsed)
{
    /// <summary>Iterations per second so far.</summary>
    public double IterationsPerSecond => Elapsed.TotalSeconds > 0 ? Iteration / Elapsed.TotalSeconds : 0;
}
