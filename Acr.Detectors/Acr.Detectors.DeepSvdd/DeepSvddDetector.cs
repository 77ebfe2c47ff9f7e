using System.Globalization;
using Acr.Compute;

namespace Acr.Detectors.DeepSvdd;

/// <summary>
/// Deep Support Vector Data Description (Ruff et al., 2018) as ACR meta-trains it: an MLP maps a row
/// to an embedding z; with a learnable centre c and d = ‖z − c‖², NormalTerm = d pulls normal rows to
/// the centre, AnomalyTerm = 1/(d + ε) pushes anomalies away, and Score = d.
/// </summary>
public sealed class DeepSvddDetector : IDetector
{
    /// <summary>The detector's name.</summary>
    public const string DetectorName = "deep-svdd";

    /// <summary>Default ε of the AnomalyTerm 1/(d + ε): keeps the term and its gradient finite when an anomaly lands on the centre.</summary>
    public const float DefaultEpsilon = 1e-6f;

    /// <inheritdoc />
    public string Name => DetectorName;

    /// <inheritdoc />
    public string Description => "Deep SVDD (TabDSVDD): MLP with batch norm, learnable centre; score = squared distance to the centre.";

    /// <inheritdoc />
    public IReadOnlyList<DetectorOption> Options { get; } =
    [
        new("network", "mlp", "mlp (tabular: Linear → BatchNorm → ReLU blocks) or conv (images: Conv 3×3 stride 2 → BatchNorm2d → ReLU blocks, then global average pooling)."),
        new("input-shape", "", "Image shape of each row as CxHxW, e.g. 1x28x28 (network=conv only; C·H·W must equal the features per row)."),
        new("hidden", "128", "Width of each hidden layer (channels of each convolution with network=conv; the image protocol uses 64)."),
        new("layers", "3", "Number of hidden blocks (the image protocol uses 4 convolutions)."),
        new("embedding", "32", "Dimension of the embedding z (and the centre c)."),
        new("epsilon", DefaultEpsilon.ToString("R", CultureInfo.InvariantCulture), "ε in the AnomalyTerm 1/(d + ε)."),
        new("bn-epsilon", "1e-05", "Variance epsilon of every batch norm."),
        new("bn-momentum", "0.1", "Running-statistics momentum of every batch norm (used by stationary scoring)."),
    ];

    /// <inheritdoc />
    public DetectorModel CreateModel(DetectorModelSpec spec, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(backend);
        return new DeepSvddModel(spec, backend);
    }
}
