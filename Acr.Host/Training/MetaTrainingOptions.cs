using Acr.Nn;

namespace Acr.Host.Training;

/// <summary>How ACR meta-training runs (protocols.md, "Meta-training").</summary>
public sealed record MetaTrainingOptions
{
    /// <summary>Optimizer steps (one per iteration).</summary>
    public int Iterations { get; init; } = 500;

    /// <summary>Tasks T drawn per iteration, all forwarded in one pass with one batch-norm segment each.</summary>
    public int TasksPerIteration { get; init; } = 32;

    /// <summary>Rows per task n.</summary>
    public int TaskSize { get; init; } = 256;

    /// <summary>Share of anomalies in a task (0.2 for tabular data in the paper, 0.5 for images).</summary>
    public double AnomalyRatio { get; init; } = 0.2;

    /// <summary>Adam hyperparameters (lr 1e-3 by default).</summary>
    public AdamOptions Adam { get; init; } = new();

    /// <summary>
    /// Steps between two reads of the losses from the backend (each read waits for the device). The losses of the
    /// steps in between are kept on the device, so every iteration's loss is still reported; a non-finite loss is
    /// detected at the next read. The trained model is the same for every interval.
    /// </summary>
    public int LossReadInterval { get; init; } = 10;

    /// <summary>Largest loss-read interval accepted.</summary>
    public const int MaxLossReadInterval = 100_000;

    /// <summary>Most iterations accepted.</summary>
    public const int MaxIterations = 10_000_000;

    /// <summary>Largest T × n accepted (rows forwarded in one pass).</summary>
    public const int MaxRowsPerIteration = 1 << 24;

    /// <summary>Normal rows per task: round(n·(1 − ratio)), half to even as in Python.</summary>
    public int NormalRowsPerTask => (int)Math.Round(TaskSize * (1 - AnomalyRatio), MidpointRounding.ToEven);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting and its valid range.</summary>
    public void Validate()
    {
        if (Iterations is < 1 or > MaxIterations)
        {
            throw new ArgumentException($"--iterations must be between 1 and {MaxIterations}; got {Iterations}.");
        }

        if (TasksPerIteration < 1)
        {
            throw new ArgumentException($"--tasks must be at least 1; got {TasksPerIteration}.");
        }

        if (TaskSize < 2)
        {
            throw new ArgumentException($"--task-size must be at least 2 (batch norm needs two rows per task); got {TaskSize}.");
        }

        if (AnomalyRatio is < 0 or >= 1 || double.IsNaN(AnomalyRatio))
        {
            throw new ArgumentException($"--anomaly-ratio must be in [0, 1); got {AnomalyRatio}.");
        }

        if ((long)TasksPerIteration * TaskSize > MaxRowsPerIteration)
        {
            throw new ArgumentException($"--tasks {TasksPerIteration} × --task-size {TaskSize} = {(long)TasksPerIteration * TaskSize} rows per iteration is more than the {MaxRowsPerIteration} supported; lower one of them.");
        }

        if (NormalRowsPerTask < 1)
        {
            throw new ArgumentException($"A task of {TaskSize} rows with anomaly ratio {AnomalyRatio} has no normal row; lower --anomaly-ratio or raise --task-size.");
        }

        if (LossReadInterval is < 1 or > MaxLossReadInterval)
        {
            throw new ArgumentException($"--loss-every must be between 1 and {MaxLossReadInterval}; got {LossReadInterval}.");
        }

        if (!(Adam.LearningRate > 0) || !float.IsFinite(Adam.LearningRate))
        {
            throw new ArgumentException($"--lr must be a finite positive number; got {Adam.LearningRate}.");
        }
    }
}
