namespace Acr.Backends.Gpu.Kernels;

/// <summary>
/// Segmented batch norm as ILGPU kernels: one thread per (segment, channel) computes the statistics in double, in the
/// reference's order, and writes its normalised rows (with the fused ReLU); a second launch, one thread per channel,
/// folds the per-segment results in segment order (the running statistics, and the parameter gradients), from a double
/// scratch the first one wrote. Two launches per op, no host round trip, no atomics.
/// </summary>
internal static class BatchNormKernels
{
    /// <summary>
    /// Statistics and output of segment s, channel j (index s·C + j): mean, inverse std, y = act(γ·(x − μ)·inv + β), and
    /// the double μ and biased σ² into <paramref name="scratch"/> (2·S·C: μ then σ²) for the running statistics.
    /// </summary>
    public static void Forward(ArrayView<float> x, ArrayView<int> offsets, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        ArrayView<float> mean, ArrayView<float> inverseStd, ArrayView<double> scratch, BatchNormShape shape)
    {
        int stride = Grid.DimX * Group.DimX;
        int c = shape.Channels;
        int n = shape.Segments * c;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int s = e / c;
            int j = e - (s * c);
            int start = offsets[s], end = offsets[s + 1];
            int count = end - start;
            double mu = 0;
            for (int i = start; i < end; i++)
            {
                mu += x[(i * c) + j];
            }

            mu /= count;
            double variance = 0;
            for (int i = start; i < end; i++)
            {
                double d = x[(i * c) + j] - mu;
                variance += d * d;
            }

            variance /= count;
            double inv = 1.0 / Math.Sqrt(variance + shape.Epsilon);
            mean[e] = (float)mu;
            inverseStd[e] = (float)inv;
            float g = gamma[j], b = beta[j];
            for (int i = start; i < end; i++)
            {
                float v = (float)((g * (x[(i * c) + j] - mu) * inv) + b);
                y[(i * c) + j] = shape.Relu != 0 ? (v > 0 ? v : 0f) : v;
            }

            if (shape.Running != 0)
            {
                scratch[e] = mu;
                scratch[n + e] = variance;
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
    /// dx of segment s, channel j: dx (+)= γ·inv·(dy − m1 − x̂·m2); the unscaled Σdy and Σdy·x̂ go to <paramref name="scratch"/>
    /// (2·S·C) for <see cref="ParameterGradients"/>.
    /// </summary>
    public static void Backward(ArrayView<float> x, ArrayView<float> dy, ArrayView<int> offsets, ArrayView<float> gamma, ArrayView<float> mean, ArrayView<float> inverseStd,
        ArrayView<float> dx, ArrayView<double> scratch, BatchNormShape shape)
    {
        int stride = Grid.DimX * Group.DimX;
        int c = shape.Channels;
        int n = shape.Segments * c;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int s = e / c;
            int j = e - (s * c);
            int start = offsets[s], end = offsets[s + 1];
            int count = end - start;
            double mu = mean[e], inv = inverseStd[e], m1 = 0, m2 = 0;
            for (int i = start; i < end; i++)
            {
                double xh = (x[(i * c) + j] - mu) * inv;
                m1 += dy[(i * c) + j];
                m2 += dy[(i * c) + j] * xh;
            }

            scratch[e] = m2;
            scratch[n + e] = m1;
            m1 /= count;
            m2 /= count;
            float g = gamma[j];
            for (int i = start; i < end; i++)
            {
                int at = (i * c) + j;
                double xh = (x[at] - mu) * inv;
                double d = g * inv * (dy[at] - m1 - (xh * m2));
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
