namespace Acr.Backends.Gpu.Kernels;

/// <summary>
/// Reductions as ILGPU kernels, in double (the reference's precision). Row reductions and short column reductions run
/// one thread per output in the reference's order; a column reduction over many rows runs in two passes, partial sums
/// over fixed chunks of rows (one thread per chunk and column) then the chunks in order, so a tall matrix still fills
/// the device. Results are bit-identical from call to call and for any grid (the chunk size depends only on the shape)
/// and equal to the reference up to rounding in double; no atomics. The one long reduction to a scalar (the ACR
/// objective) is a one-group tree over fixed per-thread strides, also fixed-order.
/// </summary>
internal static class ReductionKernels
{
    /// <summary>y[j] = (accumulate ? y[j] : 0) + Σ_i x[i, j], one thread per column.</summary>
    public static void ColumnSum(ArrayView<float> x, ArrayView<float> y, int rows, int columns, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int j = Grid.GlobalIndex.X; j < columns; j += stride)
        {
            double s = accumulate != 0 ? y[j] : 0;
            for (int i = 0; i < rows; i++)
            {
                s += x[(i * columns) + j];
            }

            y[j] = (float)s;
        }
    }

    /// <summary>
    /// First pass of a tall column sum: partial[q, j] = Σ x[i, j] over the rows of chunk q (rows q·R … q·R + R − 1,
    /// in order, in double), one thread per (chunk, column), so a tall matrix keeps the device busy.
    /// </summary>
    public static void ColumnPartials(ArrayView<float> x, ArrayView<double> partial, int rows, int columns, int chunkRows)
    {
        int stride = Grid.DimX * Group.DimX;
        int chunks = (rows + chunkRows - 1) / chunkRows;
        int total = chunks * columns;
        for (int e = Grid.GlobalIndex.X; e < total; e += stride)
        {
            int q = e / columns;
            int j = e - (q * columns);
            int end = Math.Min(rows, (q + 1) * chunkRows);
            double s = 0;
            for (int i = q * chunkRows; i < end; i++)
            {
                s += x[(i * columns) + j];
            }

            partial[e] = s;
        }
    }

    /// <summary>First pass of the centre gradient of the squared distance: partial[q, j] = −Σ 2·g[i]·(z[i, j] − c[j]) over chunk q's rows.</summary>
    public static void DistanceCenterPartials(ArrayView<float> z, ArrayView<float> center, ArrayView<float> dDistance, ArrayView<double> partial, int rows, int columns, int chunkRows)
    {
        int stride = Grid.DimX * Group.DimX;
        int chunks = (rows + chunkRows - 1) / chunkRows;
        int total = chunks * columns;
        for (int e = Grid.GlobalIndex.X; e < total; e += stride)
        {
            int q = e / columns;
            int j = e - (q * columns);
            int end = Math.Min(rows, (q + 1) * chunkRows);
            double c = center[j];
            double s = 0;
            for (int i = q * chunkRows; i < end; i++)
            {
                s -= 2.0 * dDistance[i] * (z[(i * columns) + j] - c);
            }

            partial[e] = s;
        }
    }

    /// <summary>Second pass: y[j] = (accumulate ? y[j] : 0) + Σ_q partial[q, j], chunks in order, one thread per column.</summary>
    public static void ColumnFinish(ArrayView<double> partial, ArrayView<float> y, int chunks, int columns, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int j = Grid.GlobalIndex.X; j < columns; j += stride)
        {
            double s = 0;
            for (int q = 0; q < chunks; q++)
            {
                s += partial[(q * columns) + j];
            }

            y[j] = (float)((accumulate != 0 ? y[j] : 0f) + s);
        }
    }

    /// <summary>distance[i] = Σ_j (z[i, j] − c[j])², one thread per row.</summary>
    public static void RowSquaredDistance(ArrayView<float> z, ArrayView<float> center, ArrayView<float> distance, int rows, int columns)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < rows; i += stride)
        {
            double s = 0;
            int row = i * columns;
            for (int j = 0; j < columns; j++)
            {
                double e = z[row + j] - (double)center[j];
                s += e * e;
            }

            distance[i] = (float)s;
        }
    }

    /// <summary>dCenter[j] (+)= −Σ_i 2·g[i]·(z[i, j] − c[j]), one thread per column, rows in order.</summary>
    public static void RowSquaredDistanceBackwardCenter(ArrayView<float> z, ArrayView<float> center, ArrayView<float> dDistance, ArrayView<float> dCenter, int rows, int columns, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int j = Grid.GlobalIndex.X; j < columns; j += stride)
        {
            double c = center[j];
            double s = 0;
            for (int i = 0; i < rows; i++)
            {
                s -= 2.0 * dDistance[i] * (z[(i * columns) + j] - c);
            }

            dCenter[j] = (float)((accumulate != 0 ? dCenter[j] : 0f) + s);
        }
    }

    /// <summary>
    /// loss[0] = Σ_i w[i]·(a[i] ≠ 0 ? anomaly[i] : normal[i]) in one group: thread t sums rows t, t + T, … in order,
    /// then a fixed pairwise tree in shared memory (T a power of two). The unselected term is never read.
    /// </summary>
    public static void AcrObjective<TShape>(ArrayView<float> normal, ArrayView<float> anomaly, ArrayView<float> isAnomaly, ArrayView<float> weight, ArrayView<float> loss, int n)
        where TShape : struct, IKernelShape
    {
        var partial = SharedMemory.Allocate<double>(default(TShape).ReductionThreads);
        int t = Group.IdxX;
        int threads = default(TShape).ReductionThreads;
        double s = 0;
        for (int i = t; i < n; i += threads)
        {
            float term = isAnomaly[i] != 0 ? anomaly[i] : normal[i];
            s += weight[i] * (double)term;
        }

        partial[t] = s;
        Group.Barrier();
        for (int half = threads / 2; half > 0; half /= 2)
        {
            if (t < half)
            {
                partial[t] += partial[t + half];
            }

            Group.Barrier();
        }

        if (t == 0)
        {
            loss[0] = (float)partial[0];
        }
    }

    /// <summary>dx = (accumulate ? dx : 0), then dx[idx[i], j] += dy[i, j] for i in order: one thread per column, so no races.</summary>
    public static void ScatterAddRows(ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, int count, int rows, int columns, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int j = Grid.GlobalIndex.X; j < columns; j += stride)
        {
            if (accumulate == 0)
            {
                for (int r = 0; r < rows; r++)
                {
                    dx[(r * columns) + j] = 0f;
                }
            }

            for (int i = 0; i < count; i++)
            {
                int target = indices[i];
                if (target >= 0 && target < rows)
                {
                    int at = (target * columns) + j;
                    dx[at] = dx[at] + dy[(i * columns) + j];
                }
            }
        }
    }

    /// <summary>y[g, j] = (1/V)·Σ_v x[g·V + v, j], one thread per output.</summary>
    public static void GroupMean(ArrayView<float> x, ArrayView<float> y, int groups, int columns, int groupSize)
    {
        int stride = Grid.DimX * Group.DimX;
        int n = groups * columns;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int g = e / columns;
            int j = e - (g * columns);
            double s = 0;
            int first = g * groupSize;
            for (int v = 0; v < groupSize; v++)
            {
                s += x[((first + v) * columns) + j];
            }

            y[e] = (float)(s / groupSize);
        }
    }

    /// <summary>y[s, j] = w_s·Σ_{i∈R_s} x[i, j] (w_s = 1/n_s for means), one thread per output.</summary>
    public static void SegmentSum(ArrayView<float> x, ArrayView<int> offsets, ArrayView<float> y, int segments, int columns, int mean)
    {
        int stride = Grid.DimX * Group.DimX;
        int n = segments * columns;
        for (int e = Grid.GlobalIndex.X; e < n; e += stride)
        {
            int s = e / columns;
            int j = e - (s * columns);
            int start = offsets[s], end = offsets[s + 1];
            double sum = 0;
            for (int i = start; i < end; i++)
            {
                sum += x[(i * columns) + j];
            }

            y[e] = (float)(mean != 0 ? sum / (end - start) : sum);
        }
    }

    /// <summary>y[i] = m + log Σ_j exp(x[i, j] + bias[i mod P, j] − m), max-shifted in double; NaN propagates, ±∞ rows give ±∞.</summary>
    public static void RowLogSumExp(ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, int rows, int columns, int period)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < rows; i += stride)
        {
            int row = i * columns;
            int biasRow = period > 0 ? i % period * columns : 0;
            double max = double.NegativeInfinity;
            bool nan = false;
            for (int j = 0; j < columns; j++)
            {
                double v = (double)x[row + j] + (period > 0 ? bias[biasRow + j] : 0f);
                if (double.IsNaN(v))
                {
                    nan = true;
                    break;
                }

                max = Math.Max(max, v);
            }

            double result;
            if (nan)
            {
                result = double.NaN;
            }
            else if (max == double.PositiveInfinity || max == double.NegativeInfinity)
            {
                result = max;
            }
            else
            {
                double sum = 0;
                for (int j = 0; j < columns; j++)
                {
                    sum += Math.Exp((double)x[row + j] + (period > 0 ? bias[biasRow + j] : 0f) - max);
                }

                result = max + Math.Log(sum);
            }

            y[i] = (float)result;
        }
    }

    /// <summary>norm[i] = ‖x[i]‖ (double), y[i] = x[i] / max(norm, ε); one thread per row, so y may be x.</summary>
    public static void RowL2Normalize(ArrayView<float> x, ArrayView<float> y, ArrayView<float> norm, int rows, int columns, float epsilon)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < rows; i += stride)
        {
            int row = i * columns;
            double s = 0;
            for (int j = 0; j < columns; j++)
            {
                double v = x[row + j];
                s += v * v;
            }

            double r = Math.Sqrt(s);
            double divisor = Math.Max(r, epsilon);
            norm[i] = (float)r;
            for (int j = 0; j < columns; j++)
            {
                y[row + j] = (float)(x[row + j] / divisor);
            }
        }
    }

    /// <summary>dx (+)= (dy − y·(y·dy)) / r, or dy/ε where r ≤ ε; one thread per row.</summary>
    public static void RowL2NormalizeBackward(ArrayView<float> y, ArrayView<float> norm, ArrayView<float> dy, ArrayView<float> dx, int rows, int columns, float epsilon, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < rows; i += stride)
        {
            int row = i * columns;
            double dot = 0;
            for (int j = 0; j < columns; j++)
            {
                dot += (double)y[row + j] * dy[row + j];
            }

            float r = norm[i];
            bool clamped = !(r > epsilon);
            for (int j = 0; j < columns; j++)
            {
                double g = clamped ? dy[row + j] / (double)epsilon : (dy[row + j] - (y[row + j] * dot)) / r;
                dx[row + j] = (float)((accumulate != 0 ? dx[row + j] : 0f) + g);
            }
        }
    }
}
