namespace Acr.Compute;

/// <summary>The hyperparameters of one Adam step and its 1-based step count (see <see cref="AdamUpdateOp"/>).</summary>
/// <param name="LearningRate">Step size lr.</param>
/// <param name="Beta1">First-moment decay β1 in [0, 1).</param>
/// <param name="Beta2">Second-moment decay β2 in [0, 1).</param>
/// <param name="Epsilon">Denominator guard ε &gt; 0.</param>
/// <param name="WeightDecay">L2 penalty added to the gradient (PyTorch <c>Adam</c>, not <c>AdamW</c>).</param>
/// <param name="Step">1-based step count t, used for bias correction.</param>
public readonly record struct AdamStep(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, int Step);
