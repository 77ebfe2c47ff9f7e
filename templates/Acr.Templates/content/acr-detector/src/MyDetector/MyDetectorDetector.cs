using System.Globalization;
using Acr.Compute;
using Acr.Detectors;

namespace MyDetector;

/// <summary>
/// The detector users select by name. Its model maps a row to an embedding z with an MLP that has batch norm (what
/// ACR adapts per task), then scores the squared distance d = ‖z − c‖² to a learnable centre c:
/// NormalTerm = d, AnomalyTerm = 1/(d + ε), Score = d.
/// </summary>
public sealed class MyDetectorDetector : IDetector
{
    /// <summary>The name users select with <c>--detector</c>.</summary>
    public const string DetectorName = "MY_DETECTOR_NAME";

    /// <inheritdoc />
    public string Name => DetectorName;

    /// <inheritdoc />
    public string Description => "MLP with batch norm and a learnable centre; score = squared distance to the centre.";

    /// <inheritdoc />
    public IReadOnlyList<DetectorOption> Options { get; } =
    [
        new("hidden", "64", "Width of the hidden layer."),
        new("embedding", "16", "Dimension of the embedding z (and the centre c)."),
        new("epsilon", 1e-6f.ToString("R", CultureInfo.InvariantCulture), "ε in the AnomalyTerm 1/(d + ε)."),
    ];

    /// <inheritdoc />
    public DetectorModel CreateModel(DetectorModelSpec spec, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(backend);
        return new MyDetectorModel(spec, backend);
    }
}
