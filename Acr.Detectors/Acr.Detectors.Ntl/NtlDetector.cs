using System.Globalization;
using Acr.Compute;

namespace Acr.Detectors.Ntl;

/// <summary>
/// NeuTraL-AD (Qiu et al., 2021) as ACR meta-trains it: M learnable transformations plus the identity give M + 1 views of
/// each row, a shared encoder embeds them, and the deterministic contrastive loss (see <see cref="NtlObjective"/>) is the
/// NormalTerm; the AnomalyTerm is mean_k[−log(1 − pos_k/den_k)]·s and Score = NormalTerm.
/// </summary>
public sealed class NtlDetector : IDetector
{
    /// <summary>The detector's name.</summary>
    public const string DetectorName = "ntl";

    /// <summary>Default temperature τ of the contrastive loss.</summary>
    public const float DefaultTemperature = 0.1f;

    /// <inheritdoc />
    public string Name => DetectorName;

    /// <inheritdoc />
    public string Description => "NeuTraL-AD (tabular NTL): learnable MLP transformations, shared batch-normalised encoder, deterministic contrastive loss; score = the loss.";

    /// <inheritdoc />
    public IReadOnlyList<DetectorOption> Options { get; } =
    [
        new("network", "mlp", "mlp (tabular: MLP transformations and encoder) or conv (images: convolutional transformations x + Conv3×3(ReLU(Conv3×3(x))) and a Conv 3×3 stride 2 → BatchNorm2d → ReLU encoder with global average pooling)."),
        new("input-shape", "", "Image shape of each row as CxHxW, e.g. 1x28x28 (network=conv only; filled from image data when empty)."),
        new("transform-channels", "8", "Channels of the hidden layer of each convolutional transformation (network=conv only)."),
        new("transformations", "19", "Number M of learnable transformations (at least 2), besides the identity view."),
        new("transform", "residual", "How a transformation makes its view: 'residual' (x + T_k(x)) or 'direct' (T_k(x))."),
        new("hidden", "128", "Width of the two hidden layers of each transformation MLP d→hidden→hidden→d (ReLU, no bias, no batch norm; network=mlp)."),
        new("encoder-hidden", "128", "Width of each hidden layer of the shared encoder (channels of each convolution with network=conv)."),
        new("encoder-layers", "3", "Number of Linear → BatchNorm → ReLU blocks of the encoder before its output Linear (Conv → BatchNorm2d → ReLU blocks with network=conv)."),
        new("embedding", "32", "Dimension of the encoder's embedding."),
        new("temperature", DefaultTemperature.ToString("R", CultureInfo.InvariantCulture), "Temperature τ of the contrastive loss."),
        new("bn-epsilon", "1e-05", "Variance epsilon of every batch norm."),
        new("bn-momentum", "0.1", "Running-statistics momentum of every batch norm (used by stationary scoring)."),
    ];

    /// <inheritdoc />
    public DetectorModel CreateModel(DetectorModelSpec spec, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(backend);
        return new NtlModel(spec, backend);
    }
}
