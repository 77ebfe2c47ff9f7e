using Acr.Autograd;
using Acr.Compute;
using Acr.Detectors;
using Acr.Nn;
using Acr.Numerics;
using Acr.Tensors;

namespace MyDetector;

/// <summary>
/// Linear(→hidden) → BatchNorm → ReLU → Linear(hidden→embedding) → BatchNorm, and a centre c ~ N(0, 1).
/// Built from Acr.Nn layers and Acr.Autograd ops, so it runs on every backend and the tape differentiates it.
/// Initialisation is a pure function of the spec (seed included): loading a saved model rebuilds it, then
/// overwrites the state that <see cref="CollectStateCore"/> names.
/// </summary>
public sealed class MyDetectorModel : DetectorModel
{
    private readonly Sequential _network;
    private readonly float _epsilon;

    /// <summary>Builds and initialises the model from <paramref name="spec"/>.</summary>
    /// <param name="spec">Input width, options and seed.</param>
    /// <param name="backend">Where the tensors live.</param>
    public MyDetectorModel(DetectorModelSpec spec, ComputeBackend backend)
        : base(MyDetectorDetector.DetectorName, spec)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var hidden = spec.GetPositiveInt32("hidden");
        var embedding = spec.GetPositiveInt32("embedding");
        _epsilon = spec.GetPositiveSingle("epsilon");
        var random = SeededRandom.ForStream(spec.Seed, stream: 1);
        _network = new Sequential(
            new Linear(backend, spec.InputFeatures, hidden, random),
            new BatchNorm(backend, hidden, 1e-5f, 0.1f),
            new ReLU(),
            new Linear(backend, hidden, embedding, random),
            new BatchNorm(backend, embedding, 1e-5f, 0.1f));
        Center = new Parameter("center", Initializers.Normal(backend, TensorShape.Vector(embedding), 0f, 1f, random));
    }

    /// <summary>The learnable centre c.</summary>
    public Parameter Center { get; }

    /// <inheritdoc />
    public override DetectorTerms Forward(Tape tape, Variable input, in ForwardContext context)
    {
        var z = _network.Forward(tape, input, context);
        var d = Ops.RowSquaredDistance(tape, z, Center);
        return new DetectorTerms(d, Ops.ShiftedReciprocal(tape, d, _epsilon), d);
    }

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
        _network.CollectState(prefix + "net.", state);
        state.Add(new NamedTensor(prefix + "center", Center.Value, Center));
    }
}
