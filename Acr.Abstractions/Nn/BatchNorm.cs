namespace Acr.Nn;

/// <summary>
/// Segment-aware 1-d batch norm over the columns of an N×C input. In <see cref="BatchNormMode.Batch"/>
/// mode each segment (task) is normalised by its own statistics — the heart of ACR — and, when
/// training, the running statistics are updated once per segment, in order (equal to one PyTorch
/// training-mode pass per task). In <see cref="BatchNormMode.Running"/> mode the running statistics are used.
/// </summary>
public sealed class BatchNorm : Layer
{
    /// <summary>Creates the layer with γ = 1, β = 0, running mean 0 and running variance 1.</summary>
    /// <param name="backend">Where the state lives.</param>
    /// <param name="channels">Number of features C.</param>
    /// <param name="epsilon">Variance epsilon (PyTorch default 1e-5).</param>
    /// <param name="momentum">Running-statistics momentum (PyTorch default 0.1).</param>
    public BatchNorm(ComputeBackend backend, int channels, float epsilon = 1e-5f, float momentum = 0.1f)
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

    /// <summary>Number of features C.</summary>
    public int Channels { get; }

    /// <summary>Variance epsilon.</summary>
    public float Epsilon { get; }

    /// <summary>Running-statistics momentum.</summary>
    public float Momentum { get; }

    /// <summary>Scale γ (named <c>weight</c> as in PyTorch).</summary>
    public Parameter Gamma { get; }

    /// <summary>Shift β (named <c>bias</c> as in PyTorch).</summary>
    public Parameter Beta { get; }

    /// <summary>Running mean.</summary>
    public Tensor RunningMean { get; }

    /// <summary>Running unbiased variance.</summary>
    public Tensor RunningVariance { get; }

    /// <inheritdoc />
    public override Variable Forward(Tape tape, Variable input, in ForwardContext context) => Forward(tape, input, context, Activation.None);

    /// <summary>
    /// The batch norm followed by <paramref name="activation"/>; in batch mode the backend applies the
    /// activation in the normalising pass (bit-identical to a separate activation layer, one pass fewer
    /// over the activations). <see cref="Sequential"/> uses this for a batch norm followed by <see cref="ReLU"/>.
    /// </summary>
    /// <param name="tape">The tape that records the operations.</param>
    /// <param name="input">The input, N×C.</param>
    /// <param name="context">Batch segments and batch-norm mode.</param>
    /// <param name="activation">The activation applied to the output.</param>
    /// <returns>The normalised (and activated) output.</returns>
    public Variable Forward(Tape tape, Variable input, in ForwardContext context, Activation activation) => context.Mode switch
    {
        BatchNormMode.Batch => context.UpdateRunningStatistics
            ? Ops.BatchNorm(tape, input, context.Segments, Gamma, Beta, Epsilon, RunningMean, RunningVariance, Momentum, activation)
            : Ops.BatchNorm(tape, input, context.Segments, Gamma, Beta, Epsilon, null, null, Momentum, activation),
        BatchNormMode.Running => Activate(tape, Ops.BatchNormInference(tape, input, Gamma, Beta, RunningMean, RunningVariance, Epsilon), activation),
        _ => throw new ArgumentOutOfRangeException(nameof(context), context.Mode, "Unknown batch-norm mode."),
    };

    private static Variable Activate(Tape tape, Variable x, Activation activation) => activation switch
    {
        Activation.None => x,
        Activation.Relu => Ops.Relu(tape, x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation; batch norm fuses None or Relu."),
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
