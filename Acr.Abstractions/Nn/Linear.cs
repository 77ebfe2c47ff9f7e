namespace Acr.Nn;

/// <summary>Fully connected layer <c>y = x · Wᵀ + b</c>, W stored out×in (PyTorch layout).</summary>
public sealed class Linear : Layer
{
    /// <summary>Creates the layer with PyTorch's default initialisation: W and b uniform in ±1/√in.</summary>
    /// <param name="backend">Where the parameters live.</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="random">Initialisation randomness.</param>
    /// <param name="bias">Whether to learn a bias.</param>
    public Linear(ComputeBackend backend, int inFeatures, int outFeatures, SeededRandom random, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var bound = 1f / MathF.Sqrt(inFeatures);
        Weight = new Parameter("weight", Initializers.Uniform(backend, TensorShape.Matrix(outFeatures, inFeatures), -bound, bound, random));
        Bias = bias ? new Parameter("bias", Initializers.Uniform(backend, TensorShape.Vector(outFeatures), -bound, bound, random)) : null;
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight, out×in.</summary>
    public Parameter Weight { get; }

    /// <summary>Bias, out, or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Variable Forward(Tape tape, Variable input, in ForwardContext context) => Ops.Linear(tape, input, Weight, Bias);

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
