namespace Acr.Host.Training;

/// <summary>A report after one meta-training iteration.</summary>
/// <param name="Iteration">1-based iteration just finished.</param>
/// <param name="Iterations">Total iterations.</param>
/// <param name="Loss">The latest ACR objective read from the backend (NaN before the first read), that of iteration <paramref name="LossIteration"/>.</param>
/// <param name="LossIteration">The 1-based iteration <paramref name="Loss"/> belongs to (0 before the first read); the losses are read every few iterations.</param>
/// <param name="Elapsed">Time since training started (or resumed).</param>
/// <param name="ResumedAt">Iterations a resumed run had completed before it started (0 for a fresh run).</param>
public readonly record struct TrainingProgress(int Iteration, int Iterations, double Loss, int LossIteration, TimeSpan Elapsed, int ResumedAt = 0)
{
    /// <summary>Iterations per second so far (of this process: a resumed run counts from where it resumed).</summary>
    public double IterationsPerSecond => Elapsed.TotalSeconds > 0 ? (Iteration - ResumedAt) / Elapsed.TotalSeconds : 0;
}
