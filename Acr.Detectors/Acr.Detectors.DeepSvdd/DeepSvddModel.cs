using Acr.Autograd;
using Acr.Compute;
using Acr.Nn;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Detectors.DeepSvdd;

/// <summary>
/// The Deep SVDD network. <c>network=mlp</c> (TabDSVDD): <c>layers</c> × [Linear(→hidden) → BatchNorm → ReLU]; <c>network=conv</c>
/// (the image protocol): rows seen as <c>input-shape</c> images, <c>layers</c> × [Conv 3×3 stride 2 padding 1 (→hidden channels) →
/// BatchNorm2d → ReLU] → global average pool. Then Linear(→embedding) → BatchNorm(embedding), all batch norms affine, the final γ
/// drawn from U(0, 1); centre c ~ N(0, 1), learned.
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
        var network = spec.Options.TryGetValue("network", out var chosen) ? chosen : "mlp";
        switch (network)
        {
            case "mlp":
                for (var i = 0; i < layers; i++)
                {
                    blocks.Add(new Linear(backend, width, hidden, random));
                    blocks.Add(new BatchNorm(backend, hidden, bnEpsilon, bnMomentum));
                    blocks.Add(new ReLU());
                    width = hidden;
                }

                break;
            case "conv":
                width = AddConvolutions(spec, backend, blocks, layers, hidden, bnEpsilon, bnMomentum, random);
                break;
            default:
                throw new ArgumentException($"Option 'network' must be mlp (the tabular network) or conv (the image protocol's convolutional network); got '{network}'.", nameof(spec));
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

    /// <summary>
    /// The image protocol's trunk: rows seen as images of the <c>input-shape</c> option, then <paramref name="layers"/> ×
    /// [Conv 3×3 stride 2 padding 1 → BatchNorm2d → ReLU] with <paramref name="channels"/> channels, then global average pooling;
    /// returns the pooled width (the channels).
    /// </summary>
    private static int AddConvolutions(DetectorModelSpec spec, ComputeBackend backend, List<Layer> blocks, int layers, int channels, float bnEpsilon, float bnMomentum, SeededRandom random)
    {
        var image = spec.GetImageShape("input-shape");
        blocks.Add(new Unflatten(image));
        for (var i = 0; i < layers; i++)
        {
            var conv = new Conv2d(backend, image.Channels, channels, 3, 2, 1, random);
            image = conv.Output(image);
            blocks.Add(conv);
            blocks.Add(new BatchNorm2d(backend, channels, bnEpsilon, bnMomentum));
            blocks.Add(new ReLU());
        }

        blocks.Add(new GlobalAvgPool2d());
        return channels;
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
