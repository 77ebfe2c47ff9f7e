namespace Acr.Nn;

/// <summary>Adam hyperparameters (PyTorch defaults).</summary>
/// <param name="LearningRate">Step size.</param>
/// <param name="Beta1">First-moment decay.</param>
/// <param name="Beta2">Second-moment decay.</param>
/// <param name="Epsilon">Denominator guard.</param>
/// <param name="WeightDecay">L2 penalty added to the gradient.</param>
public sealed record AdamOptions(float LearningRate = 1e-3f, float Beta1 = 0.9f, float Beta2 = 0.999f, float Epsilon = 1e-8f, float WeightDecay = 0f);

/// <summary>
/// Adam, one fused backend kernel per parameter per step (see <see cref="AdamUpdateOp"/>).
/// Parameters whose gradient is empty in a step are skipped, as PyTorch skips <c>grad is None</c>;
/// each parameter keeps its own step count for bias correction, as PyTorch's <c>state['step']</c>.
/// </summary>
public sealed class Adam : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;
    private readonly int[] _steps;

    /// <summary>Creates the optimizer with zero moment state.</summary>
    /// <param name="backend">Where the state lives (the parameters' backend).</param>
    /// <param name="parameters">Parameters to optimise.</param>
    /// <param name="options">Hyperparameters.</param>
    public Adam(ComputeBackend backend, IEnumerable<Parameter> parameters, AdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        if (options.LearningRate <= 0 || options.Beta1 is < 0 or >= 1 || options.Beta2 is < 0 or >= 1 || options.Epsilon <= 0)
        {
            throw new ArgumentException($"Invalid Adam hyperparameters {options}: need lr > 0, β1 and β2 in [0, 1), ε > 0.", nameof(options));
        }

        Backend = backend;
        Options = options;
        _parameters = [.. parameters];
        // Allocate makes no zero promise: the moments start at zero explicitly.
        _m = _parameters.Select(p => Initializers.Constant(backend, p.Value.Shape, 0f)).ToArray();
        _v = _parameters.Select(p => Initializers.Constant(backend, p.Value.Shape, 0f)).ToArray();
        _steps = new int[_parameters.Length];
    }

    /// <summary>The backend.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>Hyperparameters.</summary>
    public AdamOptions Options { get; }

    /// <summary>Number of <see cref="Step"/> calls.</summary>
    public int StepCount { get; private set; }

    /// <summary>
    /// The first-moment estimates m, one per parameter in the order the optimizer was given them, on <see cref="Backend"/>.
    /// Read them (and <see cref="SecondMoments"/>, <see cref="ParameterSteps"/>, <see cref="StepCount"/>) to checkpoint the
    /// optimizer; upload saved values into them and call <see cref="RestoreSteps"/> to resume it.
    /// </summary>
    public IReadOnlyList<Tensor> FirstMoments => _m;

    /// <summary>The second-moment estimates v, one per parameter (see <see cref="FirstMoments"/>).</summary>
    public IReadOnlyList<Tensor> SecondMoments => _v;

    /// <summary>How many updates each parameter has had (its bias-correction step; a step without a gradient skips it).</summary>
    public IReadOnlyList<int> ParameterSteps => _steps;

    /// <summary>
    /// Restores the step counters of a checkpointed optimizer; with the moments uploaded into <see cref="FirstMoments"/>
    /// and <see cref="SecondMoments"/>, the next <see cref="Step"/> is exactly the one the checkpointed optimizer would have taken.
    /// </summary>
    /// <param name="stepCount">The saved <see cref="StepCount"/>.</param>
    /// <param name="parameterSteps">The saved <see cref="ParameterSteps"/>, one per parameter.</param>
    /// <exception cref="ArgumentException">The counts are negative, there is not one per parameter, or a parameter has more updates than there were steps.</exception>
    public void RestoreSteps(int stepCount, IReadOnlyList<int> parameterSteps)
    {
        ArgumentNullException.ThrowIfNull(parameterSteps);
        if (stepCount < 0)
        {
            throw new ArgumentException($"The step count must be non-negative; got {stepCount}.", nameof(stepCount));
        }

        if (parameterSteps.Count != _steps.Length)
        {
            throw new ArgumentException($"The optimizer has {_steps.Length} parameters but {parameterSteps.Count} step counts were given.", nameof(parameterSteps));
        }

        for (var i = 0; i < _steps.Length; i++)
        {
            if (parameterSteps[i] < 0 || parameterSteps[i] > stepCount)
            {
                throw new ArgumentException($"Parameter {i} has {parameterSteps[i]} updates, outside [0, {stepCount}] for {stepCount} steps.", nameof(parameterSteps));
            }
        }

        StepCount = stepCount;
        for (var i = 0; i < _steps.Length; i++)
        {
            _steps[i] = parameterSteps[i];
        }
    }

    /// <summary>Applies one update with the parameters' current gradients, then clears them.</summary>
    public void Step()
    {
        StepCount++;
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (p.Grad is { } g)
            {
                _steps[i]++;
                var step = new AdamStep(Options.LearningRate, Options.Beta1, Options.Beta2, Options.Epsilon, Options.WeightDecay, _steps[i]);
                Backend.AdamUpdate(p.Value, g, _m[i], _v[i], step);
                p.ClearGradient();
            }
        }
    }

    /// <summary>Releases the moment state.</summary>
    public void Dispose()
    {
        foreach (var t in _m.Concat(_v))
        {
            t.Dispose();
        }
    }
}
