using Acr.Nn;

namespace Acr.Host.Scoring;

/// <summary>
/// How to score a data set: batches of at most <see cref="BatchSize"/> rows, cut within each group when the data has a
/// group column, from a seeded shuffle of each window of rows (<see cref="ScoringOrder.Shuffle"/>, the default) or in
/// file order (<see cref="ScoringOrder.File"/>). See <see cref="BatchPlan"/> for the exact rule.
/// </summary>
public sealed record ScoringRequest
{
    /// <summary>Default <see cref="WindowBatches"/>.</summary>
    public const int DefaultWindowBatches = 256;

    /// <summary>Most rows per batch (each batch is centred by its own statistics in batch mode).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Batch mode (ACR, zero-shot) or running statistics (the stationary baseline B1).</summary>
    public BatchNormMode Mode { get; init; } = BatchNormMode.Batch;

    /// <summary>Shuffled windows (the default) or file order.</summary>
    public ScoringOrder Order { get; init; } = ScoringOrder.Shuffle;

    /// <summary>Seed of the shuffle: the same seed gives the same batches, hence the same scores.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Batches per shuffle window: the rows shuffled together (<see cref="BatchPlan.WindowRows"/>: this many batches, fewer
    /// when the features of a window would pass <see cref="BatchPlan.MaxWindowValues"/>).
    /// </summary>
    public int WindowBatches { get; init; } = DefaultWindowBatches;
}
