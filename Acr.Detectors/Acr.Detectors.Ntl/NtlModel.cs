using System.Globalization;
using Acr.Autograd;
using Acr.Compute;
using Acr.Nn;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Detectors.Ntl;

/// <summary>
/// The tabular NTL network. Transformation k is the bias-free MLP T_k(x) = W3_k·ReLU(W2_k·ReLU(W1_k·x)) (d→hidden→hidden→d,
/// as NeuTraL-AD's tabular transformation net); the view is x + T_k(x) (<c>transform=residual</c>, the default) or T_k(x)
/// (<c>transform=direct</c>); all M run as one batched GEMM per
/// layer. The views of a batch are arranged row-major (row i's identity view, then T_1(x_i) … T_M(x_i)), so a task's
/// rows stay contiguous and its batch-norm segment is the task's segment scaled by M + 1: one segment per task, views
/// included. The encoder is <c>encoder-layers</c> × [Linear → BatchNorm → ReLU] → Linear(→embedding).
/// <para>
/// <c>network=conv</c> (images of <c>input-shape</c>): transformation k is T_k(x) = Conv3×3_k2(ReLU(Conv3×3_k1(x))),
/// C → <c>transform-channels</c> → C, stride 1, padding 1, no bias and no batch norm, so a view is an image of the input's
/// shape (x + T_k(x) with the default residual transform: a learnt, local, image-to-image change such as a blur, an
/// edge filter or a contrast shift). The encoder is <c>encoder-layers</c> × [Conv 3×3 stride 2 padding 1 → BatchNorm2d →
/// ReLU] with <c>encoder-hidden</c> channels, global average pooling, then Linear(→embedding): the image protocol's
/// trunk, shared by all views, with one batch-norm segment per task (views included) as for tabular data.
/// </para>
/// </summary>
public sealed class NtlModel : DetectorModel
{
    private readonly Sequential _encoder;
    private readonly NtlObjective _objective;
    private readonly ComputeBackend _backend;
    private readonly Dictionary<int, Tensor> _viewOrder = [];
    private readonly Dictionary<string, BatchSegments> _segments = [];
    private readonly int _views;
    private readonly bool _residual;
    private readonly Dictionary<int, Tensor> _repeat = [];
    private readonly Unflatten? _unflatten;
    private readonly (Conv2d First, Conv2d Second)[] _convTransforms = [];

    /// <summary>Builds and initialises the model from <paramref name="spec"/>; the weights are a pure function of the seed.</summary>
    /// <param name="spec">Input width, options (see <see cref="NtlDetector.Options"/>) and seed.</param>
    /// <param name="backend">Where the tensors live.</param>
    /// <exception cref="ArgumentException">An option is missing or invalid.</exception>
    public NtlModel(DetectorModelSpec spec, ComputeBackend backend)
        : base(NtlDetector.DetectorName, spec)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var m = spec.GetPositiveInt32("transformations");
        if (m < 2)
        {
            throw new ArgumentException($"Option 'transformations' must be at least 2 (NTL contrasts each transformed view with the others); got {m}.", nameof(spec));
        }

        var hidden = spec.GetPositiveInt32("hidden");
        var encoderHidden = spec.GetPositiveInt32("encoder-hidden");
        var layers = spec.GetPositiveInt32("encoder-layers");
        var embedding = spec.GetPositiveInt32("embedding");
        var temperature = spec.GetPositiveSingle("temperature");
        var bnEpsilon = spec.GetPositiveSingle("bn-epsilon");
        var bnMomentum = spec.GetPositiveSingle("bn-momentum");
        var d = spec.InputFeatures;
        var transform = spec.Options.TryGetValue("transform", out var t) ? t : "residual";
        _residual = transform switch
        {
            "residual" => true,
            "direct" => false,
            _ => throw new ArgumentException($"Option 'transform' must be 'residual' (view x + T_k(x)) or 'direct' (view T_k(x)); got '{transform}'.", nameof(spec)),
        };

        _backend = backend;
        _views = m + 1;
        Transformations = m;
        var random = SeededRandom.ForStream(spec.Seed, stream: 1);
        var network = spec.Options.TryGetValue("network", out var net) ? net : "mlp";
        var blocks = new List<Layer>();
        var width = d;
        switch (network)
        {
            case "mlp":
                W1 = Weight("t1", backend, new TensorShape(m, d, hidden), d, random);
                W2 = Weight("t2", backend, new TensorShape(m, hidden, hidden), hidden, random);
                W3 = Weight("t3", backend, new TensorShape(m, hidden, d), hidden, random);
                for (var i = 0; i < layers; i++)
                {
                    blocks.Add(new Linear(backend, width, encoderHidden, random));
                    blocks.Add(new BatchNorm(backend, encoderHidden, bnEpsilon, bnMomentum));
                    blocks.Add(new ReLU());
                    width = encoderHidden;
                }

                break;
            case "conv":
                var image = spec.GetImageShape("input-shape");
                var channels = spec.GetPositiveInt32("transform-channels");
                _unflatten = new Unflatten(image);
                _convTransforms = new (Conv2d, Conv2d)[m];
                for (var k = 0; k < m; k++)
                {
                    _convTransforms[k] = (new Conv2d(backend, image.Channels, channels, 3, 1, 1, random, bias: false), new Conv2d(backend, channels, image.Channels, 3, 1, 1, random, bias: false));
                }

                blocks.Add(new Unflatten(image));
                for (var i = 0; i < layers; i++)
                {
                    var conv = new Conv2d(backend, image.Channels, encoderHidden, 3, 2, 1, random);
                    image = conv.Output(image);
                    blocks.Add(conv);
                    blocks.Add(new BatchNorm2d(backend, encoderHidden, bnEpsilon, bnMomentum));
                    blocks.Add(new ReLU());
                }

                blocks.Add(new GlobalAvgPool2d());
                width = encoderHidden;
                break;
            default:
                throw new ArgumentException($"Option 'network' must be mlp (tabular) or conv (images); got '{network}'.", nameof(spec));
        }

        blocks.Add(new Linear(backend, width, embedding, random));
        _encoder = new Sequential([.. blocks]);
        _objective = new NtlObjective(backend, _views, temperature);
    }

    /// <summary>M, the number of learnable transformations.</summary>
    public int Transformations { get; }

    /// <summary>First-layer weights of the transformations, [M, d, hidden] (network=mlp; null with network=conv).</summary>
    public Parameter? W1 { get; }

    /// <summary>Second-layer weights of the transformations, [M, hidden, hidden] (network=mlp).</summary>
    public Parameter? W2 { get; }

    /// <summary>Output weights of the transformations, [M, hidden, d] (network=mlp).</summary>
    public Parameter? W3 { get; }

    /// <summary>The shared encoder.</summary>
    public Sequential Encoder => _encoder;

    /// <summary>The M + 1 views of each row, row-major ((n·(M+1))×d: row i's identity view, then T_1(x_i) … T_M(x_i)).</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="input">Rows, n×d.</param>
    public Variable Views(Tape tape, Variable input)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(input);
        int n = input.Shape.Rows, d = input.Shape.Columns;
        if (_unflatten is not null)
        {
            return ConvViews(tape, input, n, d);
        }

        var x = Ops.Reshape(tape, input, new TensorShape(1, n, d));
        var h = Ops.Relu(tape, Ops.BatchedMatMul(tape, x, W1!));
        h = Ops.Relu(tape, Ops.BatchedMatMul(tape, h, W2!));
        var t = Ops.Reshape(tape, Ops.BatchedMatMul(tape, h, W3!), TensorShape.Matrix(Transformations * n, d));
        if (_residual)
        {
            t = ElementwiseSum.Add(tape, t, Ops.GatherRows(tape, input, Repeat(n)));
        }

        var stacked = RowStacking.StackRows(tape, input, t);
        return Ops.GatherRows(tape, stacked, ViewOrder(n));
    }

    /// <summary>The convolutional views: each transformation's two convolutions run on the batch's images, one view each.</summary>
    private Variable ConvViews(Tape tape, Variable input, int n, int d)
    {
        var images = _unflatten!.Forward(tape, input, default);
        var parts = new Variable[_views];
        parts[0] = input;
        for (var k = 0; k < _convTransforms.Length; k++)
        {
            var (first, second) = _convTransforms[k];
            var h = Ops.Relu(tape, first.Forward(tape, images, default));
            var t = Ops.Reshape(tape, second.Forward(tape, h, default), TensorShape.Matrix(n, d));
            parts[k + 1] = _residual ? ElementwiseSum.Add(tape, t, input) : t;
        }

        return Ops.GatherRows(tape, RowStacking.StackRows(tape, parts), ViewOrder(n));
    }

    /// <inheritdoc />
    public override DetectorTerms Forward(Tape tape, Variable input, in ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(input);
        var views = Views(tape, input);
        var encoded = _encoder.Forward(tape, views, context with { Segments = Scaled(context.Segments) });
        var (normal, anomaly) = _objective.Terms(tape, encoded);
        return new DetectorTerms(normal, anomaly, normal);
    }

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
        if (W1 is not null)
        {
            state.Add(new NamedTensor(prefix + "transform.w1", W1.Value, W1));
            state.Add(new NamedTensor(prefix + "transform.w2", W2!.Value, W2));
            state.Add(new NamedTensor(prefix + "transform.w3", W3!.Value, W3));
        }

        for (var k = 0; k < _convTransforms.Length; k++)
        {
            _convTransforms[k].First.CollectState(string.Create(CultureInfo.InvariantCulture, $"{prefix}transform.{k}.conv1."), state);
            _convTransforms[k].Second.CollectState(string.Create(CultureInfo.InvariantCulture, $"{prefix}transform.{k}.conv2."), state);
        }

        _encoder.CollectState(prefix + "encoder.", state);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _objective.Dispose();
            foreach (var t in _viewOrder.Values.Concat(_repeat.Values))
            {
                t.Dispose();
            }

            foreach (var s in _segments.Values)
            {
                s.Dispose();
            }

            _viewOrder.Clear();
            _repeat.Clear();
            _segments.Clear();
        }

        base.Dispose(disposing);
    }

    private static Parameter Weight(string name, ComputeBackend backend, TensorShape shape, int fanIn, SeededRandom random)
    {
        var bound = 1f / MathF.Sqrt(fanIn);
        return new Parameter(name, Initializers.Uniform(backend, shape, -bound, bound, random));
    }

    /// <summary>Row k·n + i of the repeated input is row i (one copy of the batch per transformation).</summary>
    private Tensor Repeat(int n)
    {
        if (_repeat.TryGetValue(n, out var cached))
        {
            return cached;
        }

        var rows = new int[n * Transformations];
        for (var e = 0; e < rows.Length; e++)
        {
            rows[e] = e % n;
        }

        var t = _backend.Allocate(TensorShape.Vector(rows.Length), DataType.Int32);
        _backend.Upload(rows, t);
        _repeat[n] = t;
        return t;
    }

    /// <summary>Row i·V + k of the views is row k·n + i of [x; T_1(x); …; T_M(x)].</summary>
    private Tensor ViewOrder(int n)
    {
        if (_viewOrder.TryGetValue(n, out var cached))
        {
            return cached;
        }

        var order = new int[n * _views];
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < _views; k++)
            {
                order[(i * _views) + k] = (k * n) + i;
            }
        }

        var t = _backend.Allocate(TensorShape.Vector(order.Length), DataType.Int32);
        _backend.Upload(order, t);
        _viewOrder[n] = t;
        return t;
    }

    /// <summary>The task segments with every length multiplied by V (a task's views stay in its segment); kept for the backward pass.</summary>
    private BatchSegments Scaled(BatchSegments segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var key = string.Join(',', segments.Offsets.ToArray());
        if (_segments.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var lengths = new int[segments.Count];
        for (var s = 0; s < lengths.Length; s++)
        {
            lengths[s] = segments.Length(s) * _views;
        }

        var scaled = BatchSegments.Create(_backend, lengths);
        _segments[key] = scaled;
        return scaled;
    }
}
