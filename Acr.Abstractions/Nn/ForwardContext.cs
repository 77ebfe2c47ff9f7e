namespace Acr.Nn;

/// <summary>What a forward pass needs besides its input: the batch's segments and the batch-norm mode.</summary>
/// <param name="Segments">The rows' split into tasks; each segment gets its own batch-norm statistics in <see cref="BatchNormMode.Batch"/> mode.</param>
/// <param name="Mode">Batch-norm mode.</param>
/// <param name="UpdateRunningStatistics">Whether batch-mode batch norm updates its running statistics (training only).</param>
public readonly record struct ForwardContext(BatchSegments Segments, BatchNormMode Mode, bool UpdateRunningStatistics)
{
    /// <summary>Training: batch statistics per segment, running statistics updated.</summary>
    /// <param name="segments">The tasks' segments.</param>
    public static ForwardContext Training(BatchSegments segments) => new(segments, BatchNormMode.Batch, true);

    /// <summary>Zero-shot scoring: the batch's own statistics, nothing updated.</summary>
    /// <param name="segments">The batches' segments.</param>
    public static ForwardContext ZeroShot(BatchSegments segments) => new(segments, BatchNormMode.Batch, false);

    /// <summary>Stationary inference with running statistics.</summary>
    /// <param name="segments">The batches' segments (unused by batch norm in this mode).</param>
    public static ForwardContext Stationary(BatchSegments segments) => new(segments, BatchNormMode.Running, false);
}
