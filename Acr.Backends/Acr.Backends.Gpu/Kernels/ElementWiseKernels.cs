namespace Acr.Backends.Gpu.Kernels;

/// <summary>
/// Element-wise ILGPU kernels: grid-stride loops (the grid and group sizes are read once; on ILGPU's CPU simulator
/// every intrinsic read in a loop costs a thread-static lookup). Each computes exactly the op's documented float
/// expression, or the reference's double one where the op is specified in double, so results match the reference bit
/// for bit on IEEE hardware. Flags are ints (0 or 1).
/// </summary>
internal static class ElementWiseKernels
{
    /// <summary>bits → data[0..count): the 32-bit pattern of a float or an int.</summary>
    public static void Fill(ArrayView<int> data, int count, int bits)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
        {
            data[i] = bits;
        }
    }

    /// <summary>y = x &gt; 0 ? x : 0 (NaN and −0 to +0).</summary>
    public static void Relu(ArrayView<float> x, ArrayView<float> y, int n)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float v = x[i];
            y[i] = v > 0 ? v : 0f;
        }
    }

    /// <summary>y = 1 / (x + ε).</summary>
    public static void ShiftedReciprocal(ArrayView<float> x, ArrayView<float> y, int n, float epsilon)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            y[i] = 1f / (x[i] + epsilon);
        }
    }

    /// <summary>y = y + α·x (the product rounded first).</summary>
    public static void Axpy(ArrayView<float> x, ArrayView<float> y, int n, float alpha)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float product = alpha * x[i];
            y[i] = y[i] + product;
        }
    }

    /// <summary>dx = (accumulate ? dx : 0) + (y &gt; 0 ? dy : 0).</summary>
    public static void ReluBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int n, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float g = y[i] > 0 ? dy[i] : 0f;
            dx[i] = (accumulate != 0 ? dx[i] : 0f) + g;
        }
    }

    /// <summary>dx = (accumulate ? dx : 0) − dy·y·y.</summary>
    public static void ShiftedReciprocalBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int n, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float v = y[i];
            float g = -(dy[i] * v * v);
            dx[i] = (accumulate != 0 ? dx[i] : 0f) + g;
        }
    }

    /// <summary>y[i, j] = x[i, j] + v[j] over R×C.</summary>
    public static void AddRowVector(ArrayView<float> x, ArrayView<float> v, ArrayView<float> y, int rows, int columns)
    {
        int stride = Grid.DimX * Group.DimX;
        int n = rows * columns;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            y[e] = x[e] + v[e % columns];
        }
    }

    /// <summary>y[i, :] = x[indices[i], :], NaN rows for indices outside [0, rows).</summary>
    public static void GatherRows(ArrayView<float> x, ArrayView<int> indices, ArrayView<float> y, int count, int rows, int columns)
    {
        int stride = Grid.DimX * Group.DimX;
        int n = count * columns;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int i = e / columns;
            int j = e - (i * columns);
            int source = indices[i];
            y[e] = source >= 0 && source < rows ? x[(source * columns) + j] : float.NaN;
        }
    }

    /// <summary>dNormal/dAnomaly (+)= routed g·w (the ACR objective's backward).</summary>
    public static void AcrObjectiveBackward(ArrayView<float> isAnomaly, ArrayView<float> weight, ArrayView<float> dLoss, ArrayView<float> dNormal, ArrayView<float> dAnomaly, int n, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        float g = dLoss[0];
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float v = g * weight[i];
            bool anomalous = isAnomaly[i] != 0;
            dNormal[i] = (accumulate != 0 ? dNormal[i] : 0f) + (anomalous ? 0f : v);
            dAnomaly[i] = (accumulate != 0 ? dAnomaly[i] : 0f) + (anomalous ? v : 0f);
        }
    }

    /// <summary>One fused Adam step, in double as the reference (bias corrections precomputed on the host).</summary>
    public static void AdamUpdate(ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> m1, ArrayView<float> m2, int n, AdamConstants c)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float p = parameter[i];
            double g = gradient[i] + (c.WeightDecay * (double)p);
            double m = (c.Beta1 * (double)m1[i]) + ((1 - c.Beta1) * g);
            double v = (c.Beta2 * (double)m2[i]) + ((1 - c.Beta2) * g * g);
            m1[i] = (float)m;
            m2[i] = (float)v;
            parameter[i] = (float)(p - (c.LearningRate / c.BiasCorrection1 * m / ((Math.Sqrt(v) / c.SqrtBiasCorrection2) + c.Epsilon)));
        }
    }

    /// <summary>Running-statistics batch norm: y = γ·(x − μ)/√(σ² + ε) + β in double, as the reference.</summary>
    public static void BatchNormInference(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> y, int rows, int columns, float epsilon)
    {
        int stride = Grid.DimX * Group.DimX;
        int n = rows * columns;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int j = e % columns;
            y[e] = (float)((gamma[j] * (x[e] - (double)mean[j]) / Math.Sqrt(variance[j] + (double)epsilon)) + beta[j]);
        }
    }

    /// <summary>dx[g·V + v, j] (+)= dy[g, j] / V.</summary>
    public static void GroupMeanBackward(ArrayView<float> dy, ArrayView<float> dx, int rows, int columns, int groupSize, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        int n = rows * columns;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int i = e / columns;
            int j = e - (i * columns);
            float g = dy[(i / groupSize * columns) + j] / groupSize;
            dx[e] = (accumulate != 0 ? dx[e] : 0f) + g;
        }
    }

    /// <summary>dx[i, j] (+)= w_s·dy[s, j] for the segment s holding row i (found by binary search of the offsets).</summary>
    public static void SegmentBroadcast(ArrayView<float> dy, ArrayView<int> offsets, ArrayView<float> dx, int rows, int columns, int segments, int mean, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        int n = rows * columns;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int i = e / columns;
            int j = e - (i * columns);
            int lo = 0, hi = segments;
            while (hi - lo > 1)
            {
                int mid = (lo + hi) >> 1;
                if (offsets[mid] <= i)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid;
                }
            }

            float v = dy[(lo * columns) + j];
            float g = mean != 0 ? v / (offsets[lo + 1] - offsets[lo]) : v;
            dx[e] = (accumulate != 0 ? dx[e] : 0f) + g;
        }
    }

    /// <summary>dx (+)= dy·exp(x + bias − y), 0 where the term or the row is −∞ (the log-sum-exp's backward), in double.</summary>
    public static void RowLogSumExpBackward(ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int rows, int columns, int period, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        int n = rows * columns;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int i = e / columns;
            int j = e - (i * columns);
            double v = (double)x[e] + (period > 0 ? bias[(i % period * columns) + j] : 0f);
            float yi = y[i];
            double g = v == double.NegativeInfinity || yi == float.NegativeInfinity ? 0 : dy[i] * Math.Exp(v - yi);
            dx[e] = (float)((accumulate != 0 ? dx[e] : 0f) + g);
        }
    }

    /// <summary>dz (+)= 2·g[i]·(z − c) in double (the z half of the squared distance's backward).</summary>
    public static void RowSquaredDistanceBackwardZ(ArrayView<float> z, ArrayView<float> center, ArrayView<float> dDistance, ArrayView<float> dz, int rows, int columns, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        int n = rows * columns;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int i = e / columns;
            int j = e - (i * columns);
            double v = 2.0 * dDistance[i] * (z[e] - (double)center[j]);
            dz[e] = (float)((accumulate != 0 ? dz[e] : 0f) + v);
        }
    }
}

/// <summary>The per-step constants of <see cref="ElementWiseKernels.AdamUpdate"/>.</summary>
/// <param name="LearningRate">lr.</param>
/// <param name="Beta1">β1.</param>
/// <param name="Beta2">β2.</param>
/// <param name="Epsilon">ε.</param>
/// <param name="WeightDecay">The L2 penalty.</param>
/// <param name="BiasCorrection1">1 − β1^t.</param>
/// <param name="SqrtBiasCorrection2">√(1 − β2^t).</param>
internal readonly record struct AdamConstants(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, double BiasCorrection1, double SqrtBiasCorrection2);
