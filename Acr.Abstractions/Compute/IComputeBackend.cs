using Acr.Tensors;

namespace Acr.Compute;

/// <summary>
/// The kernel-level compute contract every backend implements. It is deliberately small: memory,
/// GEMM, a few broadcast element-wise ops, reductions, segmented batch norm, the Deep SVDD distance,
/// the ACR objective and fused Adam. Each method states its exact semantics (formula, shapes,
/// epsilon), so every backend can be checked against one scalar reference.
/// </summary>
/// <remarks>
/// <para><b>Asynchrony.</b> A GPU backend enqueues each kernel and returns at once; only
/// <see cref="Download"/> and <see cref="Synchronize"/> wait. Callers must therefore not assume a
/// kernel has run until one of them returns. A CPU backend may run kernels synchronously.</para>
/// <para><b>Shapes.</b> "Matrix view" means a tensor of shape <c>[d0, ...]</c> seen as
/// <c>Rows = d0</c> by <c>Columns = Length / d0</c>, row-major. Every tensor argument must belong to
/// this backend; a shape mismatch throws <see cref="ArgumentException"/> before any work is queued.</para>
/// <para><b>Aliasing.</b> Outputs may alias inputs only where a method says so.</para>
/// <para><b>Accumulation.</b> Gradient outputs take an <c>accumulate</c> flag: <c>false</c>
/// overwrites the output (its old contents are never read, so NaN garbage does not leak), <c>true</c>
/// adds to it.</para>
/// <para><b>Determinism.</b> For fixed inputs and shapes a backend must produce bit-identical
/// results on every call, whatever the number of threads; reductions use a fixed order.</para>
/// </remarks>
public interface IComputeBackend : IDisposable
{
    /// <summary>Short name of the backend, e.g. <c>cpu</c>, <c>cuda</c>, <c>opencl</c>.</summary>
    string Name { get; }

    /// <summary>The device this backend instance runs on.</summary>
    DeviceDescriptor Device { get; }

    // ---------------------------------------------------------------- memory

    /// <summary>Allocates a zero-filled tensor (from the backend's pool when a buffer of the same size is free).</summary>
    /// <param name="shape">The shape.</param>
    Tensor Allocate(TensorShape shape);

    /// <summary>Returns a buffer to the pool. Called by <see cref="Tensor.Dispose"/>; not by users.</summary>
    /// <param name="buffer">A buffer this backend allocated.</param>
    void Release(DeviceBuffer buffer);

    /// <summary>Copies host data into <paramref name="destination"/>. The host span may be reused once this returns.</summary>
    /// <param name="source">Exactly <c>destination.Length</c> values.</param>
    /// <param name="destination">The tensor to write.</param>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    void Upload(ReadOnlySpan<float> source, Tensor destination);

    /// <summary>Waits for all queued work, then copies <paramref name="source"/> to the host.</summary>
    /// <param name="source">The tensor to read.</param>
    /// <param name="destination">Exactly <c>source.Length</c> values.</param>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    void Download(Tensor source, Span<float> destination);

    /// <summary>Sets every element of <paramref name="tensor"/> to <paramref name="value"/>.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="value">The value.</param>
    void Fill(Tensor tensor, float value);

    /// <summary><c>destination[i] = source[i]</c> for all i. Lengths must match; shapes may differ.</summary>
    /// <param name="source">The tensor to read.</param>
    /// <param name="destination">The tensor to write; must not alias <paramref name="source"/>.</param>
    void Copy(Tensor source, Tensor destination);

    /// <summary>Waits until every queued kernel has finished.</summary>
    void Synchronize();

    // ---------------------------------------------------------------- dense linear algebra

    /// <summary>
    /// General matrix multiply on matrix views: <c>C = alpha · op(A) · op(B) + beta · C</c>, where
    /// <c>op(X) = Xᵀ</c> if its flag is set. <c>op(A)</c> is M×K, <c>op(B)</c> is K×N, <c>C</c> is M×N.
    /// When <paramref name="beta"/> is 0, C is not read. C must not alias A or B.
    /// </summary>
    /// <param name="transposeA">Use Aᵀ (A is stored K×M).</param>
    /// <param name="transposeB">Use Bᵀ (B is stored N×K).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">Matrix A.</param>
    /// <param name="b">Matrix B.</param>
    /// <param name="beta">Scale of the old C.</param>
    /// <param name="c">Matrix C, read (if beta ≠ 0) and written.</param>
    /// <exception cref="ArgumentException">Inner or outer dimensions do not match.</exception>
    void Gemm(bool transposeA, bool transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /// <summary>
    /// The fully connected layer in one pass: <c>y[i, j] = Σ_k x[i, k] · weight[j, k] + bias[j]</c>
    /// (no bias term when <paramref name="bias"/> is null). x is N×K, weight J×K (one row per output), y N×J.
    /// The result is bit-identical to <see cref="Gemm"/> with <c>transposeB</c>, <c>alpha = 1</c>,
    /// <c>beta = 0</c>, followed by <see cref="AddRowVector"/>; a backend may fuse the two (the bias is
    /// added while the output tile is still in cache). y must not alias x or weight.
    /// The default implementation runs exactly those two ops.
    /// </summary>
    /// <param name="x">Input matrix, N×K.</param>
    /// <param name="weight">Weights, J×K.</param>
    /// <param name="bias">Bias, J elements, or null.</param>
    /// <param name="y">Output matrix, N×J.</param>
    /// <exception cref="ArgumentException">Shapes do not match.</exception>
    void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        Gemm(false, true, 1f, x, weight, 0f, y);
        if (bias is not null)
        {
            AddRowVector(y, bias, y);
        }
    }

    // ---------------------------------------------------------------- element-wise and reductions

    /// <summary><c>y[i, j] = x[i, j] + v[j]</c> on matrix views; x and y are R×C, v has C elements. y may alias x.</summary>
    /// <param name="x">Input matrix.</param>
    /// <param name="v">Row vector added to every row.</param>
    /// <param name="y">Output matrix.</param>
    void AddRowVector(Tensor x, Tensor v, Tensor y);

    /// <summary><c>y[j] = (accumulate ? y[j] : 0) + Σ_i x[i, j]</c> on the matrix view of x (R×C); y has C elements.</summary>
    /// <param name="x">Input matrix.</param>
    /// <param name="y">Column sums.</param>
    /// <param name="accumulate">Add to y instead of overwriting it.</param>
    void ColumnSum(Tensor x, Tensor y, bool accumulate);

    /// <summary><c>y[i] = x[i] &gt; 0 ? x[i] : 0</c> (so NaN maps to 0). y may alias x.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output of the same length.</param>
    void Relu(Tensor x, Tensor y);

    /// <summary><c>dx[i] = (accumulate ? dx[i] : 0) + (y[i] &gt; 0 ? dy[i] : 0)</c>, where y is the ReLU output.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">Gradient with respect to y.</param>
    /// <param name="dx">Gradient with respect to x.</param>
    /// <param name="accumulate">Add to dx instead of overwriting it.</param>
    void ReluBackward(Tensor y, Tensor dy, Tensor dx, bool accumulate);

    /// <summary><c>y[i] = y[i] + alpha · x[i]</c>.</summary>
    /// <param name="alpha">Scale of x.</param>
    /// <param name="x">Input.</param>
    /// <param name="y">Accumulator of the same length.</param>
    void Axpy(float alpha, Tensor x, Tensor y);

    /// <summary><c>y[i] = 1 / (x[i] + epsilon)</c>. y may alias x.</summary>
    /// <param name="x">Input.</param>
    /// <param name="epsilon">Shift that keeps the reciprocal finite at x = 0.</param>
    /// <param name="y">Output.</param>
    void ShiftedReciprocal(Tensor x, float epsilon, Tensor y);

    /// <summary><c>dx[i] = (accumulate ? dx[i] : 0) − dy[i] · y[i]²</c>, where y = 1/(x + ε) is the forward output.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">Gradient with respect to y.</param>
    /// <param name="dx">Gradient with respect to x.</param>
    /// <param name="accumulate">Add to dx instead of overwriting it.</param>
    void ShiftedReciprocalBackward(Tensor y, Tensor dy, Tensor dx, bool accumulate);

    // ---------------------------------------------------------------- batch norm (segment-aware)

    /// <summary>
    /// Batch-mode batch norm over the matrix view of x (N×C), with one set of statistics per segment.
    /// For segment s with rows R_s (n_s = |R_s| ≥ 2) and channel j:
    /// <c>μ = (1/n_s) Σ_{i∈R_s} x[i,j]</c>, <c>σ² = (1/n_s) Σ (x[i,j] − μ)²</c> (population variance),
    /// <c>inv = 1/√(σ² + epsilon)</c>, <c>y[i,j] = gamma[j] · (x[i,j] − μ) · inv + beta[j]</c>;
    /// <c>mean[s,j] = μ</c>, <c>inverseStd[s,j] = inv</c> (both S×C).
    /// If <paramref name="runningMean"/> is given, then for s = 0, 1, …, S−1 in order:
    /// <c>runningMean = (1 − momentum)·runningMean + momentum·μ_s</c> and
    /// <c>runningVariance = (1 − momentum)·runningVariance + momentum·σ²_s·n_s/(n_s − 1)</c>,
    /// exactly as S separate PyTorch forward passes in training mode would update them.
    /// y may not alias x.
    /// </summary>
    /// <param name="x">Input, N×C.</param>
    /// <param name="segments">Row segments; TotalRows must equal N and every segment must have ≥ 2 rows.</param>
    /// <param name="gamma">Scale, C.</param>
    /// <param name="beta">Shift, C.</param>
    /// <param name="epsilon">Variance epsilon.</param>
    /// <param name="y">Output, N×C.</param>
    /// <param name="mean">Per-segment means, S×C (written).</param>
    /// <param name="inverseStd">Per-segment 1/√(σ²+ε), S×C (written).</param>
    /// <param name="runningMean">Running mean to update (C), or null.</param>
    /// <param name="runningVariance">Running unbiased variance to update (C); non-null iff runningMean is.</param>
    /// <param name="momentum">Running-statistics momentum (PyTorch convention: weight of the new value).</param>
    /// <exception cref="ArgumentException">Shapes do not match, or a segment has fewer than 2 rows.</exception>
    void BatchNormForward(Tensor x, BatchSegments segments, Tensor gamma, Tensor beta, float epsilon,
        Tensor y, Tensor mean, Tensor inverseStd, Tensor? runningMean, Tensor? runningVariance, float momentum);

    /// <summary>
    /// <see cref="BatchNormForward(Tensor, BatchSegments, Tensor, Tensor, float, Tensor, Tensor, Tensor, Tensor?, Tensor?, float)"/>
    /// followed by <paramref name="activation"/> applied to y in the same pass: with
    /// <see cref="Activation.Relu"/>, <c>y[i,j] = max(gamma[j] · (x[i,j] − μ) · inv + beta[j], 0)</c>, bit-identical
    /// to the unfused op followed by <see cref="Relu"/>. mean, inverseStd and the running statistics are
    /// those of the batch norm alone. y may not alias x. The default implementation runs the two ops.
    /// </summary>
    /// <param name="x">Input, N×C.</param>
    /// <param name="segments">Row segments; TotalRows must equal N and every segment must have ≥ 2 rows.</param>
    /// <param name="gamma">Scale, C.</param>
    /// <param name="beta">Shift, C.</param>
    /// <param name="epsilon">Variance epsilon.</param>
    /// <param name="activation">The activation applied to the normalised output.</param>
    /// <param name="y">Output, N×C.</param>
    /// <param name="mean">Per-segment means, S×C (written).</param>
    /// <param name="inverseStd">Per-segment 1/√(σ²+ε), S×C (written).</param>
    /// <param name="runningMean">Running mean to update (C), or null.</param>
    /// <param name="runningVariance">Running unbiased variance to update (C); non-null iff runningMean is.</param>
    /// <param name="momentum">Running-statistics momentum (PyTorch convention: weight of the new value).</param>
    /// <exception cref="ArgumentException">Shapes do not match, a segment has fewer than 2 rows, or the activation is unknown.</exception>
    void BatchNormForward(Tensor x, BatchSegments segments, Tensor gamma, Tensor beta, float epsilon, Activation activation,
        Tensor y, Tensor mean, Tensor inverseStd, Tensor? runningMean, Tensor? runningVariance, float momentum)
    {
        if (activation is not (Activation.None or Activation.Relu))
        {
            throw new ArgumentException($"Unknown activation {activation}; this backend fuses None or Relu.", nameof(activation));
        }

        BatchNormForward(x, segments, gamma, beta, epsilon, y, mean, inverseStd, runningMean, runningVariance, momentum);
        if (activation == Activation.Relu)
        {
            Relu(y, y);
        }
    }

    /// <summary>
    /// Inference-mode batch norm with running statistics:
    /// <c>y[i,j] = gamma[j] · (x[i,j] − runningMean[j]) / √(runningVariance[j] + epsilon) + beta[j]</c>. y may alias x.
    /// </summary>
    /// <param name="x">Input, N×C.</param>
    /// <param name="gamma">Scale, C.</param>
    /// <param name="beta">Shift, C.</param>
    /// <param name="runningMean">Running mean, C.</param>
    /// <param name="runningVariance">Running variance, C.</param>
    /// <param name="epsilon">Variance epsilon.</param>
    /// <param name="y">Output, N×C.</param>
    void BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, float epsilon, Tensor y);

    /// <summary>
    /// Backward of <see cref="BatchNormForward(Tensor, BatchSegments, Tensor, Tensor, float, Tensor, Tensor, Tensor, Tensor?, Tensor?, float)"/>. With <c>x̂ = (x − μ_s)·inv_s</c> and, per segment and
    /// channel, <c>m1 = mean_{R_s}(dy)</c>, <c>m2 = mean_{R_s}(dy · x̂)</c>:
    /// <c>dx = gamma · inv_s · (dy − m1 − x̂ · m2)</c>; <c>dGamma[j] += Σ_i dy·x̂</c>; <c>dBeta[j] += Σ_i dy</c>
    /// over all rows (the sums overwrite when <paramref name="accumulateParameters"/> is false).
    /// </summary>
    /// <param name="x">Forward input, N×C.</param>
    /// <param name="dy">Gradient with respect to the output, N×C.</param>
    /// <param name="segments">The forward pass's segments.</param>
    /// <param name="gamma">Scale, C.</param>
    /// <param name="mean">The forward pass's per-segment means, S×C.</param>
    /// <param name="inverseStd">The forward pass's per-segment inverse standard deviations, S×C.</param>
    /// <param name="dx">Gradient with respect to x, N×C.</param>
    /// <param name="accumulateInput">Add to dx instead of overwriting it.</param>
    /// <param name="dGamma">Gradient with respect to gamma, C.</param>
    /// <param name="dBeta">Gradient with respect to beta, C.</param>
    /// <param name="accumulateParameters">Add to dGamma and dBeta instead of overwriting them.</param>
    void BatchNormBackward(Tensor x, Tensor dy, BatchSegments segments, Tensor gamma, Tensor mean, Tensor inverseStd,
        Tensor dx, bool accumulateInput, Tensor dGamma, Tensor dBeta, bool accumulateParameters);

    // ---------------------------------------------------------------- detector terms and the ACR objective

    /// <summary><c>distance[i] = Σ_j (z[i,j] − center[j])²</c>; z is N×D, center D, distance N.</summary>
    /// <param name="z">Embeddings.</param>
    /// <param name="center">The centre.</param>
    /// <param name="distance">Squared distances.</param>
    void RowSquaredDistance(Tensor z, Tensor center, Tensor distance);

    /// <summary>
    /// Backward of <see cref="RowSquaredDistance"/> with upstream gradient g = dDistance:
    /// <c>dz[i,j] (+)= 2·g[i]·(z[i,j] − center[j])</c>; <c>dCenter[j] (+)= −Σ_i 2·g[i]·(z[i,j] − center[j])</c>.
    /// </summary>
    /// <param name="z">Embeddings, N×D.</param>
    /// <param name="center">The centre, D.</param>
    /// <param name="dDistance">Upstream gradient, N.</param>
    /// <param name="dz">Gradient with respect to z.</param>
    /// <param name="accumulateZ">Add to dz instead of overwriting it.</param>
    /// <param name="dCenter">Gradient with respect to the centre.</param>
    /// <param name="accumulateCenter">Add to dCenter instead of overwriting it.</param>
    void RowSquaredDistanceBackward(Tensor z, Tensor center, Tensor dDistance, Tensor dz, bool accumulateZ, Tensor dCenter, bool accumulateCenter);

    /// <summary>
    /// The ACR objective as one scalar: <c>loss[0] = Σ_i w[i] · (a[i] ≠ 0 ? anomalyTerm[i] : normalTerm[i])</c>,
    /// where a = <paramref name="isAnomaly"/> (0 or 1) and w = <paramref name="rowWeight"/>. The term not
    /// selected is never read, so an infinite AnomalyTerm on a normal row does no harm. With
    /// w[i] = 1/(T·n_t) for a row of task t this is the mean over tasks of the per-task mean.
    /// </summary>
    /// <param name="normalTerm">NormalTerm per row, N.</param>
    /// <param name="anomalyTerm">AnomalyTerm per row, N.</param>
    /// <param name="isAnomaly">1 for anomalous rows, 0 for normal rows, N.</param>
    /// <param name="rowWeight">Weight per row, N.</param>
    /// <param name="loss">Output scalar (1 element).</param>
    void AcrObjective(Tensor normalTerm, Tensor anomalyTerm, Tensor isAnomaly, Tensor rowWeight, Tensor loss);

    /// <summary>
    /// Backward of <see cref="AcrObjective"/> with upstream scalar gradient g = dLoss[0]:
    /// <c>dNormal[i] (+)= a[i] ≠ 0 ? 0 : g·w[i]</c>; <c>dAnomaly[i] (+)= a[i] ≠ 0 ? g·w[i] : 0</c>.
    /// </summary>
    /// <param name="isAnomaly">1 for anomalous rows, 0 for normal rows, N.</param>
    /// <param name="rowWeight">Weight per row, N.</param>
    /// <param name="dLoss">Upstream gradient, 1 element.</param>
    /// <param name="dNormal">Gradient with respect to the NormalTerm.</param>
    /// <param name="dAnomaly">Gradient with respect to the AnomalyTerm.</param>
    /// <param name="accumulate">Add to the outputs instead of overwriting them.</param>
    void AcrObjectiveBackward(Tensor isAnomaly, Tensor rowWeight, Tensor dLoss, Tensor dNormal, Tensor dAnomaly, bool accumulate);

    // ---------------------------------------------------------------- optimizer

    /// <summary>
    /// One fused Adam step (PyTorch's formulation) on every element: <c>g = gradient + weightDecay·p</c>;
    /// <c>m = β1·m + (1−β1)·g</c>; <c>v = β2·v + (1−β2)·g²</c>;
    /// <c>p = p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)</c>, t = <c>step.Step</c> ≥ 1.
    /// </summary>
    /// <param name="parameter">Parameter, updated in place.</param>
    /// <param name="gradient">Its gradient, same length.</param>
    /// <param name="firstMoment">First-moment state m, same length, updated.</param>
    /// <param name="secondMoment">Second-moment state v, same length, updated.</param>
    /// <param name="step">Hyperparameters and the 1-based step count.</param>
    void AdamUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, AdamStep step);
}
