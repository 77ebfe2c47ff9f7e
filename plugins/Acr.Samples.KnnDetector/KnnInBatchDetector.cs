using System.Globalization;
using Acr.Compute;
using Acr.Detectors;

namespace Acr.Samples.KnnDetector;

/// <summary>
/// k-nearest-neighbours within the batch: each batch (segment) is standardised by its own mean and
/// variance — the batch-norm idea of ACR without any training — and a row's score is the mean
/// Euclidean distance to its k nearest other rows of the same batch. Higher = more anomalous.
/// It has no trainable parameters, so meta-training leaves it as it is.
/// </summary>
public sealed class KnnInBatchDetector : IDetector
{
    /// <summary>The detector's name.</summary>
    public const string DetectorName = "knn-in-batch";

    /// <inheritdoc />
    public string Name => DetectorName;

    /// <inheritdoc />
    public string Description => "k nearest neighbours within each batch after per-batch standardisation (sample plugin; no training).";

    /// <inheritdoc />
    public IReadOnlyList<DetectorOption> Options { get; } =
    [
        new("k", "5", "Number of nearest neighbours averaged (capped at batch size − 1)."),
        new("epsilon", 1e-5f.ToString("R", CultureInfo.InvariantCulture), "Variance guard of the per-batch standardisation."),
    ];

    /// <inheritdoc />
    public DetectorModel CreateModel(DetectorModelSpec spec, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(backend);
        return new KnnInBatchModel(spec);
    }
}
