using Acr.Nn;

namespace Acr.Host.Scoring;

/// <summary>How to score a data set: batches by its group column when it has one, else consecutive batches of <see cref="BatchSize"/> rows.</summary>
public sealed record ScoringRequest
{
    /// <summary>Rows per batch when the data has no group column (each batch is centred by its own statistics in batch mode).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Batch mode (ACR, zero-shot) or running statistics (the stationary baseline B1).</summary>
    public BatchNormMode Mode { get; init; } = BatchNormMode.Batch;
}
