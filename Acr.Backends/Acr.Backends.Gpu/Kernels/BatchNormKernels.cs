namespace Acr.Backends.Gpu.Kernels;

/// <summary>
/// Segmented batch norm as ILGPU kernels: one group per (segment, tile of channels), whose row lanes reduce the
/// segment's rows in double in an order fixed by the group shape and then write the normalised rows (with the fused
/// ReLU); a second launch, one thread per channel, folds the per-segment results in segment order (the running
/// statistics, and the parameter gradients), from a double scratch the first one wrote. Two launches per op, no host
/// round trip, no atomics; bit-identical from call to call.
/// </summary>
internal static class BatchNormKernels
{
    /// <summary>
    /// Statistics and output of segment s = Grid.IdxY for the channels j of column tile Grid.IdxX (group: W channels ×
    /// L row lanes of <typeparamref name="TShape"/>). Lane l sums rows start + l, start + l + L, … of its channel in double,
    /// shifted by the segment's first row (d = x − x₀, Σd and Σd²); lane 0 adds the L partial sums in lane order, so the
    /// order is fixed by the shape. μ = x₀ + Σd/n, σ² = Σd²/n − (Σd/n)² (biased), inv = 1/√(σ² + ε); then every lane writes
    /// its rows, y = act(γ·(x − μ)·inv + β), and μ and σ² go to <paramref name="scratch"/> (2·S·C: μ then σ²) for the
    /// running statistics.
    /// </summary>
    public static void Forward<TShape>(ArrayView<float> x, ArrayView<int> offsets, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        ArrayView<float> mean, ArrayView<float> inverseStd, ArrayView<double> scratch, BatchNormShape shape)
        where TShape : struct, IKernelShape
    {
        var sums = SharedMemory.Allocate<double>(default(TShape).NormThreads);
        var squares = SharedMemory.Allocate<double>(default(TShape).NormThreads);
        int width = default(TShape).NormColumns, lanes = default(TShape).NormLanes;
        int w = Group.IdxX, lane = Group.IdxY;
        int c = shape.Channels;
        int n = shape.Segments * c;
        int s = Grid.IdxY;
        int j = (Grid.IdxX * width) + w;
        bool active = j < c;
        int start = offsets[s], end = offsets[s + 1];
        int count = end - start;
        double shift = active && count > 0 ? x[(start * c) + j] : 0.0;
        double sd = 0, sq = 0;
        if (active)
        {
            for (int i = start + lane; i < end; i += lanes)
            {
                double d = x[(i * c) + j] - shift;
                sd += d;
                sq += d * d;
            }
        }

        sums[(lane * width) + w] = sd;
        squares[(lane * width) + w] = sq;
        Group.Barrier();
        if (lane == 0 && active)
        {
            double total = 0, totalSquares = 0;
            for (int l = 0; l < lanes; l++)
            {
                total += sums[(l * width) + w];
                totalSquares += squares[(l * width) + w];
            }

            double m = total / count;
            double variance = Math.Max((totalSquares / count) - (m * m), 0.0);
            double mu = shift + m;
            double inv = 1.0 / Math.Sqrt(variance + shape.Epsilon);
            int e = (s * c) + j;
            mean[e] = (float)mu;
            inverseStd[e] = (float)inv;
            if (shape.Running != 0)
            {
                scratch[e] = mu;
                scratch[n + e] = variance;
            }

            // Lane 0's slots now carry μ and inv to the other lanes.
            sums[w] = mu;
            squares[w] = inv;
        }

        Group.Barrier();
        if (active)
        {
            double mu = sums[w], inv = squares[w];
            float g = gamma[j], b = beta[j];
            for (int i = start + lane; i < end; i += lanes)
            {
                float v = (float)((g * (x[(i * c) + j] - mu) * inv) + b);
                y[(i * c) + j] = shape.Relu != 0 ? (v > 0 ? v : 0f) : v;
            }
        }
    }

    /// <summary>The running statistics of channel j, updated once per segment in segment order (PyTorch's unbiased variance).</summary>
    public static void UpdateRunning(ArrayView<int> offsets, ArrayView<double> scratch, ArrayView<float> runningMean, ArrayView<float> runningVariance, BatchNormShape shape)
    {
        int stride = Grid.DimX * Group.DimX;
        int c = shape.Channels;
        int n = shape.Segments * c;
        float momentum = shape.Momentum;
        for (int j = Grid.GlobalIndex.X; j < c; j += stride)
        {
            float rm = runningMean[j], rv = runningVariance[j];
            for (int s = 0; s < shape.Segments; s++)
            {
                int count = offsets[s + 1] - offsets[s];
                double mu = scratch[(s * c) + j];
                double variance = scratch[n + (s * c) + j];
                rm = (float)(((1 - momentum) * (double)rm) + (momentum * mu));
                rv = (float)(((1 - momentum) * (double)rv) + (momentum * variance * count / (count - 1)));
            }

            runningMean[j] = rm;
            runningVariance[j] = rv;
        }
    }

    /// <summary>
    /// dx of segment s = Grid.IdxY for the channels of column tile Grid.IdxX, grouped as in <see cref="Forward"/>: lanes
    /// sum dy and dy·x̂ over their rows, lane 0 adds the lanes in order and leaves the unscaled Σdy·x̂ and Σdy in
    /// <paramref name="scratch"/> (2·S·C) for <see cref="ParameterGradients"/>; then every lane writes
    /// dx (+)= γ·inv·(dy − m1 − x̂·m2) for its rows.
    /// </summary>
    public static void Backward<TShape>(ArrayView<float> x, ArrayView<float> dy, ArrayView<int> offsets, ArrayView<float> gamma, ArrayView<float> mean, ArrayView<float> inverseStd,
        ArrayView<float> dx, ArrayView<double> scratch, BatchNormShape shape)
        where TShape : struct, IKernelShape
    {
        var firsts = SharedMemory.Allocate<double>(default(TShape).NormThreads);
        var seconds = SharedMemory.Allocate<double>(default(TShape).NormThreads);
        int width = default(TShape).NormColumns, lanes = default(TShape).NormLanes;
        int w = Group.IdxX, lane = Group.IdxY;
        int c = shape.Channels;
        int n = shape.Segments * c;
        int s = Grid.IdxY;
        int j = (Grid.IdxX * width) + w;
        bool active = j < c;
        int e = (s * c) + j;
        int start = offsets[s], end = offsets[s + 1];
        int count = end - start;
        double mu = active ? mean[e] : 0.0, inv = active ? inverseStd[e] : 0.0;
        double m1 = 0, m2 = 0;
        if (active)
        {
            for (int i = start + lane; i < end; i += lanes)
            {
                int at = (i * c) + j;
                double xh = (x[at] - mu) * inv;
                m1 += dy[at];
                m2 += dy[at] * xh;
            }
        }

        firsts[(lane * width) + w] = m1;
        seconds[(lane * width) + w] = m2;
        Group.Barrier();
        if (lane == 0 && active)
        {
            double total1 = 0, total2 = 0;
            for (int l = 0; l < lanes; l++)
            {
                total1 += firsts[(l * width) + w];
                total2 += seconds[(l * width) + w];
            }

            scratch[e] = total2;
            scratch[n + e] = total1;
            firsts[w] = total1 / count;
            seconds[w] = total2 / count;
        }

        Group.Barrier();
        if (active)
        {
            double mean1 = firsts[w], mean2 = seconds[w];
            float g = gamma[j];
            for (int i = start + lane; i < end; i += lanes)
            {
                int at = (i * c) + j;
                double xh = (x[at] - mu) * inv;
                double d = g * inv * (dy[at] - mean1 - (xh * mean2));
                dx[at] = (float)((shape.Accumulate != 0 ? dx[at] : 0f) + d);
            }
        }
    }

    /// <summary>dγ[j] (+)= Σ_s Σdy·x̂ and dβ[j] (+)= Σ_s Σdy, folded in segment order from the scratch.</summary>
    public static void ParameterGradients(ArrayView<double> scratch, ArrayView<float> dGamma, ArrayView<float> dBeta, BatchNormShape shape)
    {
        int stride = Grid.DimX * Group.DimX;
        int c = shape.Channels;
        int n = shape.Segments * c;
        for (int j = Grid.GlobalIndex.X; j < c; j += stride)
        {
            double dg = 0, db = 0;
            for (int s = 0; s < shape.Segments; s++)
            {
                dg += scratch[(s * c) + j];
                db += scratch[n + (s * c) + j];
            }

            bool accumulate = shape.AccumulateParameters != 0;
            dGamma[j] = (float)((accumulate ? dGamma[j] : 0f) + dg);
            dBeta[j] = (float)((accumulate ? dBeta[j] : 0f) + db);
        }
    }
}

/// <summary>The scalars of the batch-norm kernels.</summary>
/// <param name="Segments">Number of segments S.</param>
/// <param name="Channels">Number of channels C.</param>
/// <param name="Epsilon">Variance epsilon.</param>
/// <param name="Momentum">Running-statistics momentum.</param>
/// <param name="Relu">1 to apply the fused ReLU.</param>
/// <param name="Running">1 when running statistics are updated.</param>
/// <param name="Accumulate">1 to add to dx.</param>
/// <param name="AccumulateParameters">1 to add to dγ and dβ.</param>
internal readonly record struct BatchNormShape(int Segments, int Channels, float Epsilon, float Momentum, int Relu, int Running, int Accumulate, int AccumulateParameters);
