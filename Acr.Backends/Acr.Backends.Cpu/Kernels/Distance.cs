namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// The Deep SVDD distance <c>d[i] = Σ_j (z[i, j] − c[j])²</c> and its backward, in double accumulation.
/// Rows are processed in fixed chunks of <see cref="Reductions.RowsPerChunk"/>; the centre gradient adds
/// the per-chunk partial sums in chunk order.
/// </summary>
internal static unsafe class Distance
{
    /// <summary><c>distance[i] = Σ_j (z[i, j] − center[j])²</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowSquaredDistance(WorkerPool pool, float* z, float* center, float* distance, int rows, int columns)
    {
        var task = new ForwardTask(z, center, distance, rows, columns);
        pool.Run(ref task, Reductions.ChunkCount(rows), parallel: (long)rows * columns >= ElementWiseDriver.ParallelThreshold);
    }

    /// <summary>
    /// <c>dz (+)= 2·g[i]·(z − c)</c>; <c>dCenter (+)= −Σ_i 2·g[i]·(z − c)</c>; <paramref name="partials"/> is
    /// scratch of <c>ChunkCount(rows)·columns</c> doubles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowSquaredDistanceBackward(WorkerPool pool, float* z, float* center, float* gradient, int rows, int columns,
        float* dz, bool accumulateZ, float* dCenter, bool accumulateCenter, double* partials)
    {
        var chunks = Reductions.ChunkCount(rows);
        var task = new BackwardTask(z, center, gradient, dz, accumulateZ, partials, rows, columns);
        pool.Run(ref task, chunks, parallel: (long)rows * columns >= ElementWiseDriver.ParallelThreshold);

        for (var j = 0; j < columns; j++)
        {
            double s = 0;
            for (var c = 0; c < chunks; c++)
            {
                s -= partials[((nint)c * columns) + j];
            }

            dCenter[j] = (float)((accumulateCenter ? dCenter[j] : 0) + s);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SquaredDistance(float* z, float* c, int n)
    {
        var j = 0;
        double total = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            // Four independent fused multiply-add chains (32 values per step), summed in a fixed order.
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; j <= n - 32; j += 32)
            {
                var (z0, z1) = Vector512.Widen(Vector512.Load(z + j));
                var (c0, c1) = Vector512.Widen(Vector512.Load(c + j));
                var (z2, z3) = Vector512.Widen(Vector512.Load(z + j + 16));
                var (c2, c3) = Vector512.Widen(Vector512.Load(c + j + 16));
                var d0 = z0 - c0;
                var d1 = z1 - c1;
                var d2 = z2 - c2;
                var d3 = z3 - c3;
                a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
                a2 = Vector512.FusedMultiplyAdd(d2, d2, a2);
                a3 = Vector512.FusedMultiplyAdd(d3, d3, a3);
            }

            for (; j <= n - 16; j += 16)
            {
                var (z0, z1) = Vector512.Widen(Vector512.Load(z + j));
                var (c0, c1) = Vector512.Widen(Vector512.Load(c + j));
                var d0 = z0 - c0;
                var d1 = z1 - c1;
                a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            }

            total = Vector512.Sum((a0 + a1) + (a2 + a3));
        }

        if (Vector256.IsHardwareAccelerated && n - j >= 8)
        {
            var acc = Vector256<double>.Zero;
            for (; j <= n - 8; j += 8)
            {
                var (zl, zh) = Vector256.Widen(Vector256.Load(z + j));
                var (cl, ch) = Vector256.Widen(Vector256.Load(c + j));
                var dl = zl - cl;
                var dh = zh - ch;
                acc += (dl * dl) + (dh * dh);
            }

            total += Vector256.Sum(acc);
        }

        for (; j < n; j++)
        {
            var d = z[j] - (double)c[j];
            total += d * d;
        }

        return total;
    }

    /// <summary>The distances of one chunk of rows.</summary>
    private readonly struct ForwardTask(float* z, float* center, float* distance, int rows, int columns) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var end = Math.Min(rows, (index + 1) * Reductions.RowsPerChunk);
            for (var i = index * Reductions.RowsPerChunk; i < end; i++)
            {
                distance[i] = (float)SquaredDistance(z + ((nint)i * columns), center, columns);
            }
        }
    }

    /// <summary>dz for one chunk of rows, and the chunk's partial sums of the centre gradient (row <c>index</c> of <paramref name="partials"/>).</summary>
    private readonly struct BackwardTask(float* z, float* center, float* gradient, float* dz, bool accumulateZ, double* partials, int rows, int columns)
        : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var acc = partials + ((nint)index * columns);
            Reductions.Clear(acc, columns);
            var end = Math.Min(rows, (index + 1) * Reductions.RowsPerChunk);
            for (var i = index * Reductions.RowsPerChunk; i < end; i++)
            {
                var offset = (nint)i * columns;
                Row(z + offset, center, 2.0 * gradient[i], dz + offset, accumulateZ, acc, columns);
            }
        }

        /// <summary>v = two·(z − c) in double; dz (+)= v rounded to float; acc += v.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Row(float* z, float* c, double two, float* dz, bool accumulate, double* acc, int n)
        {
            var j = 0;
            if (Float512.IsHardwareAccelerated)
            {
                j = Row<Float512, Double512>(z, c, two, dz, accumulate, acc, j, n);
            }

            if (Float256.IsHardwareAccelerated)
            {
                j = Row<Float256, Double256>(z, c, two, dz, accumulate, acc, j, n);
            }

            for (; j < n; j++)
            {
                var v = two * (z[j] - (double)c[j]);
                dz[j] = (float)((accumulate ? dz[j] : 0) + v);
                acc[j] += v;
            }
        }

        /// <summary><see cref="Row(float*, float*, double, float*, bool, double*, int)"/> from column <paramref name="j"/> while a whole <typeparamref name="TFloat"/> fits; returns where it stopped.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Row<TFloat, TDouble>(float* z, float* c, double two, float* dz, bool accumulate, double* acc, int j, int n)
            where TFloat : unmanaged, IWideningFloatLanes<TFloat, TDouble>
            where TDouble : unmanaged, IDoubleLanes<TDouble>
        {
            var t = TDouble.Create(two);
            for (; j <= n - TFloat.Count; j += TFloat.Count)
            {
                var (zl, zh) = TFloat.Widen(TFloat.Load(z + j));
                var (cl, ch) = TFloat.Widen(TFloat.Load(c + j));
                var vl = t * (zl - cl);
                var vh = t * (zh - ch);
                if (accumulate)
                {
                    var (dl, dh) = TFloat.Widen(TFloat.Load(dz + j));
                    TFloat.Narrow(dl + vl, dh + vh).Store(dz + j);
                }
                else
                {
                    TFloat.Narrow(vl, vh).Store(dz + j);
                }

                vl.AddTo(acc + j);
                vh.AddTo(acc + j + TDouble.Count);
            }

            return j;
        }
    }
}
