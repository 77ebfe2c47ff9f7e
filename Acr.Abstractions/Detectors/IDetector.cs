namespace Acr.Detectors;

/// <summary>
/// A deep anomaly detector that ACR can meta-train: it builds a model for an input specification and
/// defines, per row, the NormalTerm (loss of a normal row), the AnomalyTerm (loss of an anomalous row)
/// and the Score (higher = more anomalous).
/// </summary>
public interface IDetector
{
    /// <summary>The name users select, e.g. <c>deep-svdd</c> (case-insensitive, unique across plugins).</summary>
    string Name { get; }

    /// <summary>One line saying what the detector is.</summary>
    string Description { get; }

    /// <summary>The hyperparameters the detector understands, with defaults. Any other key is refused.</summary>
    IReadOnlyList<DetectorOption> Options { get; }

    /// <summary>
    /// Builds a freshly initialised model. Initialisation is a pure function of <paramref name="spec"/>
    /// (seed included), so loading a saved model can rebuild it and then overwrite its state.
    /// </summary>
    /// <param name="spec">Input width, resolved options and seed.</param>
    /// <param name="backend">Where the model's tensors live.</param>
    /// <exception cref="ArgumentException">An option value is invalid; the message names it.</exception>
    DetectorModel CreateModel(DetectorModelSpec spec, ComputeBackend backend);
}
