namespace Acr.Nn;

/// <summary>
/// 2-d convolution layer over NCHW images: weight <c>[out, in, KH, KW]</c> (PyTorch layout), optional bias, one stride and one zero
/// padding for both axes (see <see cref="Conv2dForwardOp"/>).
/// </summary>
public sealed class Conv2d : Layer
{
    /// <summary>
    /// Creates the layer with PyTorch's default initialisation: the weight Kaiming-uniform with a = √5, i.e. uniform in
    /// <c>±gain·√(3/fan_in)</c> with <c>gain = √(2/(1 + a²))</c>, which is <c>±1/√fan_in</c>; the bias uniform in <c>±1/√fan_in</c>;
    /// fan_in = in·KH·KW. The weight is drawn first, in row-major order, then the bias.
    /// </summary>
    /// <param name="backend">Where the parameters live.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Square kernel size.</param>
    /// <param name="stride">Stride.</param>
    /// <param name="padding">Zero padding on every side.</param>
    /// <param name="random">Initialisation randomness.</param>
    /// <param name="bias">Whether to learn a bias.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public Conv2d(ComputeBackend backend, int inChannels, int outChannels, int kernelSize, int stride, int padding, SeededRandom random, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        Window = new Window2d(kernelSize, kernelSize, stride, padding);
        InChannels = inChannels;
        OutChannels = outChannels;
        var fanIn = (long)inChannels * kernelSize * kernelSize;
        var a = Math.Sqrt(5);
        var bound = (float)(Math.Sqrt(2 / (1 + (a * a))) * Math.Sqrt(3.0 / fanIn));
        var biasBound = (float)(1 / Math.Sqrt(fanIn));
        Weight = new Parameter("weight", Initializers.Uniform(backend, new TensorShape(outChannels, inChannels, kernelSize, kernelSize), -bound, bound, random));
        Bias = bias ? new Parameter("bias", Initializers.Uniform(backend, TensorShape.Vector(outChannels), -biasBound, biasBound, random)) : null;
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel, stride and padding.</summary>
    public Window2d Window { get; }

    /// <summary>Filters, [out, in, KH, KW].</summary>
    public Parameter Weight { get; }

    /// <summary>Bias, out, or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>The output image shape for an input image shape.</summary>
    /// <param name="input">The input image.</param>
    /// <exception cref="ArgumentException">The channels differ or the kernel does not fit.</exception>
    public ImageShape Output(ImageShape input) => input.Channels == InChannels
        ? Window.Output(input, OutChannels)
        : throw new ArgumentException($"This convolution takes {InChannels} input channels; the image has {input}.", nameof(input));

    /// <inheritdoc />
    public override Variable Forward(Tape tape, Variable input, in ForwardContext context) => Ops.Conv2d(tape, input, Weight, Bias, Window.Stride, Window.Padding);

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
        state.Add(new NamedTensor(prefix + "weight", Weight.Value, Weight));
        if (Bias is not null)
        {
            state.Add(new NamedTensor(prefix + "bias", Bias.Value, Bias));
        }
    }
}

/// <summary>
/// Segment-aware 2-d batch norm over the channels of NCHW images: in <see cref="BatchNormMode.Batch"/> mode each segment of images
/// (a task) is normalised per channel by its own statistics over images and pixels, and, when training, the running statistics are
/// updated once per segment, in order (one PyTorch <c>BatchNorm2d</c> training pass per task); in <see cref="BatchNormMode.Running"/>
/// mode the running statistics are used. The state is named as PyTorch names it.
/// </summary>
public sealed class BatchNorm2d : Layer
{
    /// <summary>Creates the layer with γ = 1, β = 0, running mean 0 and running variance 1.</summary>
    /// <param name="backend">Where the state lives.</param>
    /// <param name="channels">Channels C.</param>
    /// <param name="epsilon">Variance epsilon (PyTorch default 1e-5).</param>
    /// <param name="momentum">Running-statistics momentum (PyTorch default 0.1).</param>
    public BatchNorm2d(ComputeBackend backend, int channels, float epsilon = 1e-5f, float momentum = 0.1f)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epsilon);
        if (!(momentum > 0 && momentum <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Batch-norm momentum must be in (0, 1].");
        }

        Channels = channels;
        Epsilon = epsilon;
        Momentum = momentum;
        var shape = TensorShape.Vector(channels);
        Gamma = new Parameter("weight", Initializers.Constant(backend, shape, 1f));
        Beta = new Parameter("bias", Initializers.Constant(backend, shape, 0f));
        RunningMean = Initializers.Constant(backend, shape, 0f);
        RunningVariance = Initializers.Constant(backend, shape, 1f);
    }

    /// <summary>Channels C.</summary>
    public int Channels { get; }

    /// <summary>Variance epsilon.</summary>
    public float Epsilon { get; }

    /// <summary>Running-statistics momentum.</summary>
    public float Momentum { get; }

    /// <summary>Scale γ (named <c>weight</c>).</summary>
    public Parameter Gamma { get; }

    /// <summary>Shift β (named <c>bias</c>).</summary>
    public Parameter Beta { get; }

    /// <summary>Running mean.</summary>
    public Tensor RunningMean { get; }

    /// <summary>Running unbiased variance.</summary>
    public Tensor RunningVariance { get; }

    /// <inheritdoc />
    public override Variable Forward(Tape tape, Variable input, in ForwardContext context) => Forward(tape, input, context, Activation.None);

    /// <summary>The batch norm followed by <paramref name="activation"/>, fused in batch mode (bit-identical to a separate activation layer).</summary>
    /// <param name="tape">The tape that records the operations.</param>
    /// <param name="input">The input images, [N, C, H, W].</param>
    /// <param name="context">Segments (of images) and batch-norm mode.</param>
    /// <param name="activation">The activation applied to the output.</param>
    /// <returns>The normalised (and activated) images.</returns>
    public Variable Forward(Tape tape, Variable input, in ForwardContext context, Activation activation) => context.Mode switch
    {
        BatchNormMode.Batch => context.UpdateRunningStatistics
            ? Ops.BatchNorm2d(tape, input, context.Segments, Gamma, Beta, Epsilon, RunningMean, RunningVariance, Momentum, activation)
            : Ops.BatchNorm2d(tape, input, context.Segments, Gamma, Beta, Epsilon, null, null, Momentum, activation),
        BatchNormMode.Running => activation switch
        {
            Activation.None => Ops.BatchNorm2dInference(tape, input, Gamma, Beta, RunningMean, RunningVariance, Epsilon),
            Activation.Relu => Ops.Relu(tape, Ops.BatchNorm2dInference(tape, input, Gamma, Beta, RunningMean, RunningVariance, Epsilon)),
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation; batch norm fuses None or Relu."),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(context), context.Mode, "Unknown batch-norm mode."),
    };

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
        state.Add(new NamedTensor(prefix + "weight", Gamma.Value, Gamma));
        state.Add(new NamedTensor(prefix + "bias", Beta.Value, Beta));
        state.Add(new NamedTensor(prefix + "running_mean", RunningMean, null));
        state.Add(new NamedTensor(prefix + "running_var", RunningVariance, null));
    }
}

/// <summary>2-d max pooling (see <see cref="MaxPool2dForwardOp"/>); stateless.</summary>
/// <param name="window">Kernel, stride and padding (at most half the kernel).</param>
public sealed class MaxPool2d(Window2d window) : Layer
{
    /// <summary>Kernel, stride and padding.</summary>
    public Window2d Window { get; } = window.KernelHeight >= 1 ? window : throw new ArgumentException("Create the window with new Window2d(kernel, kernel, stride, padding).", nameof(window));

    /// <inheritdoc />
    public override Variable Forward(Tape tape, Variable input, in ForwardContext context) => Ops.MaxPool2d(tape, input, Window);

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
    }
}

/// <summary>Global average pooling of NCHW images to the N×C matrix of channel means; stateless.</summary>
public sealed class GlobalAvgPool2d : Layer
{
    /// <inheritdoc />
    public override Variable Forward(Tape tape, Variable input, in ForwardContext context) => Ops.GlobalAvgPool2d(tape, input);

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
    }
}

/// <summary>
/// Rows of C·H·W features seen as NCHW images (a view, no copy; PyTorch's <c>Unflatten</c>), so a network of image layers can take
/// the rows a data set gives; stateless.
/// </summary>
/// <param name="image">The image shape of each row.</param>
public sealed class Unflatten(ImageShape image) : Layer
{
    /// <summary>The image shape of each row.</summary>
    public ImageShape Image { get; } = image.Channels >= 1 ? image : throw new ArgumentException("Create the image shape with new ImageShape(channels, height, width).", nameof(image));

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input's rows do not hold C·H·W values.</exception>
    public override Variable Forward(Tape tape, Variable input, in ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Columns != Image.Length)
        {
            throw new ArgumentException($"Images of {Image} need {Image.Length} values per row; the input has shape {input.Shape} ({input.Shape.Columns} per row).", nameof(input));
        }

        return Ops.Reshape(tape, input, Image.Batch(input.Shape.Rows));
    }

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
    }
}
