using Acr.Nn;

namespace Acr.Detectors;

/// <summary>A detector's trainable model: a module whose forward pass yields <see cref="DetectorTerms"/>.</summary>
public abstract class DetectorModel : Module
{
    /// <summary>Creates the model record.</summary>
    /// <param name="detector">Name of the detector that built it.</param>
    /// <param name="spec">The spec it was built from.</param>
    protected DetectorModel(string detector, DetectorModelSpec spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(detector);
        ArgumentNullException.ThrowIfNull(spec);
        Detector = detector;
        Spec = spec;
    }

    /// <summary>Name of the detector that built this model.</summary>
    public string Detector { get; }

    /// <summary>The spec this model was built from (saved with it).</summary>
    public DetectorModelSpec Spec { get; }

    /// <summary>Runs the model on a batch of rows (N × <see cref="DetectorModelSpec.InputFeatures"/>).</summary>
    /// <param name="tape">The tape to compute and record on.</param>
    /// <param name="input">The rows.</param>
    /// <param name="context">Segments (one per task or scoring batch) and batch-norm mode.</param>
    public abstract DetectorTerms Forward(Tape tape, Variable input, in ForwardContext context);
}
