using Acr.Autograd;
using Acr.Compute;
using Acr.Nn;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Detectors.DeepSvdd;

/// <summary>
/// The TabDSVDD network: <c>layers</c> × [Linear(→hidden) → BatchNorm → ReLU] → Linear(hidden→embedding)
/// → BatchNorm(embedding), all batch norms affine, the final γ drawn from U(0, 1); centre c ~ N(0, 1), learned.
/// </summary>
public sealed class DeepSvddModel : DetectorModel
{
    private readonly Sequential _network;
    private readonly float _epsilon;

    /// <summary>Builds and initialises the model from <paramref name="spec"/>.</summary>
    /// <param name="spec">Input width, options (see <see cref="DeepSvddDetector.Options"/>) and seed.</param>
    /// <param name="backend">Where the tensors live.</param>
    public DeepSvddModel(DetectorModelSpec spec, ComputeBackend backend)
        : base(DeepSvddDetector.DetectorName, spec)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var hidden = spec.GetPositiveInt32("hidden");
        var layers = spec.GetPositiveInt32("layers");
        var embedding = spec.GetPositiveInt32("embedding");
        _epsilon = spec.GetPositiveSingle("epsilon");
        var bnEpsilon = spec.GetPositiveSingle("bn-epsilon");
        var bnMomentum = spec.GetPositiveSingle("bn-momentum");

        var random = SeededRandom.ForStream(spec.Seed, stream: 1);
        var blocks = new List<Layer>();
        var width = spec.InputFeatures;
        for (var i = 0; i < layers; i++)
        {
            blocks.Add(new Linear(backend, width, hidden, random));
            blocks.Add(new BatchNorm(backend, hidden, bnEpsilon, bnMomentum));
            blocks.Add(new ReLU());
            width = hidden;
        }

        blocks.Add(new Linear(backend, width, embedding, random));
        var final = new BatchNorm(backend, embedding, bnEpsilon, bnMomentum);
        var gamma = Initializers.Uniform(backend, TensorShape.Vector(embedding), 0f, 1f, random);
        backend.Copy(gamma, final.Gamma.Value);
        gamma.Dispose();
        blocks.Add(final);
        _network = new Sequential([.. blocks]);
        Center = new Parameter("center", Initializers.Normal(backend, TensorShape.Vector(embedding), 0f, 1f, random));
    }

    /// <summary>The learnable centre c.</summary>
    public Parameter Center { get; }

    /// <summary>The embedding network.</summary>
    public Sequential Network => _network;

    /// <inheritdoc />
    public override DetectorTerms Forward(Tape tape, Variable input, in ForwardContext context)
    {
        var z = _network.Forward(tape, input, context);
        var d = Ops.RowSquaredDistance(tape, z, Center);
        var anomaly = Ops.ShiftedReciprocal(tape, d, _epsilon);
        return new DetectorTerms(d, anomaly, d);
    }

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
        _network.CollectState(prefix + "net.", state);
        state.Add(new NamedTensor(prefix + "center", Center.Value, Center));
    }
}
