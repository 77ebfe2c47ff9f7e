using Acr.Autograd;
using Acr.Detectors;
using Acr.Nn;
using Acr.Tensors;

namespace Acr.Samples.KnnDetector;

/// <summary>
/// The kNN-in-batch scorer: one <see cref="KnnScoresOp"/> over all batches of the forward pass (batch mode
/// standardises each batch by its own statistics; running mode leaves the rows as they are). It runs on the
/// backend like any op: the plugin's CPU kernel on <c>cpu</c>, the op's reference on the host elsewhere.
/// </summary>
public sealed class KnnInBatchModel : DetectorModel
{
    private readonly int _k;
    private readonly float _epsilon;

    /// <summary>Creates the model.</summary>
    /// <param name="spec">Input width and options <c>k</c>, <c>epsilon</c>.</param>
    public KnnInBatchModel(DetectorModelSpec spec)
        : base(KnnInBatchDetector.DetectorName, spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _k = spec.GetPositiveInt32("k");
        _epsilon = spec.GetPositiveSingle("epsilon");
    }

    /// <inheritdoc />
    public override DetectorTerms Forward(Tape tape, Variable input, in ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(input);
        var score = tape.NewVariable(TensorShape.Vector(input.Shape.Rows), requiresGrad: false);
        tape.Backend.Run(KnnScoresOp.Instance, new KnnScoresOp.Args(input.Value, context.Segments, _k, _epsilon, context.Mode == BatchNormMode.Batch, score.Value));
        return new DetectorTerms(score, score, score);
    }

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
        // No state: nothing to save but the options in the model's config.
    }
}
