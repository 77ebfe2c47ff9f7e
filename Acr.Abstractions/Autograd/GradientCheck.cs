namespace Acr.Autograd;

/// <summary>Builds the checked graph from the leaves (each a variable that requires a gradient) and optional segments.</summary>
/// <param name="tape">The tape to record on.</param>
/// <param name="leaves">One variable per <see cref="GradientCheck.Leaves"/> entry.</param>
/// <param name="segments">The check's segments on the tape's backend, or null.</param>
/// <returns>The output whose weighted sum is the checked loss.</returns>
public delegate Variable GradientGraph(Tape tape, IReadOnlyList<Variable> leaves, BatchSegments? segments);

/// <summary>
/// One finite-difference gradient check: leaves, the graph built from them, the step and the tolerance
/// <c>|analytic − numeric| ≤ AbsoluteTolerance + RelativeTolerance·|numeric|</c>.
/// </summary>
/// <param name="Name">What the check covers.</param>
/// <param name="Leaves">The inputs that are perturbed.</param>
/// <param name="Graph">The graph.</param>
public sealed record GradientCheck(string Name, IReadOnlyList<GradientLeaf> Leaves, GradientGraph Graph)
{
    /// <summary>Central-difference step h.</summary>
    public double Step { get; init; } = 1e-2;

    /// <summary>Absolute tolerance.</summary>
    public double AbsoluteTolerance { get; init; } = 2e-3;

    /// <summary>Relative tolerance.</summary>
    public double RelativeTolerance { get; init; } = 2e-2;

    /// <summary>Segment lengths, when the graph takes segments.</summary>
    public IReadOnlyList<int>? Segments { get; init; }
}

/// <summary>A leaf of a <see cref="GradientCheck"/>: its shape and initial values.</summary>
/// <param name="Shape">The shape.</param>
/// <param name="Values">The values (perturbed in place during a check, restored afterwards).</param>
public sealed record GradientLeaf(TensorShape Shape, float[] Values)
{
    /// <summary>A leaf with values uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <param name="random">The randomness.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="low">Lower bound.</param>
    /// <param name="high">Upper bound.</param>
    public static GradientLeaf Random(SeededRandom random, TensorShape shape, float low = -1f, float high = 1f)
    {
        ArgumentNullException.ThrowIfNull(random);
        var values = new float[shape.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.NextUniform(low, high);
        }

        return new GradientLeaf(shape, values);
    }
}
