namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// Column reductions with double accumulation: rows are vectorised across columns, widened to double and
/// summed in a fixed order. Long matrices are cut into fixed blocks of <see cref="RowsPerChunk"/> rows whose
/// partial sums are added in block order, so results do not depend on the thread count.
/// </summary>
internal static unsafe class Reductions
{
    /// <summary>Rows per partial sum (fixed: it decides the summation order).</summary>
    public const int RowsPerChunk = 512;

    /// <summary>Number of row chunks of an R-row matrix.</summary>
    public static int ChunkCount(int rows) => Math.Max(1, (rows + RowsPerChunk - 1) / RowsPerChunk);

    /// <summary>
    /// <c>y[j] = (accumulate ? y[j] : 0) + Σ_i x[i, j]</c> for an R×C matrix, with <paramref name="partials"/>
    /// scratch of <c>ChunkCount(R)·C</c> doubles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ColumnSum(WorkerPool pool, float* x, int rows, int columns, float* y, bool accumulate, double* partials)
    {
        var chunks = ChunkCount(rows);
        var task = new ColumnSumTask(x, rows, columns, partials);
        pool.Run(ref task, chunks, parallel: (long)rows * columns >= ElementWiseDriver.ParallelThreshold);

        for (var j = 0; j < columns; j++)
        {
            double s = accumulate ? y[j] : 0;
            for (var c = 0; c < chunks; c++)
            {
                s += partials[((nint)c * columns) + j];
            }

            y[j] = (float)s;
        }
    }

    /// <summary>
    /// <c>acc[j] += Σ_{i &lt; rows} x[i·stride + j]</c> for <c>j &lt; width</c>, in double, rows in order.
    /// Channels are taken in strips held in registers (64 per strip with Vector512: eight double
    /// accumulators, so the adds of one row overlap) while the rows stream past.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateColumns(double* acc, float* x, int rows, nint stride, int width)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 64 <= width; j += 64)
            {
                var d = acc + j;
                Vector512<double> a0 = Vector512.Load(d), a1 = Vector512.Load(d + 8), a2 = Vector512.Load(d + 16), a3 = Vector512.Load(d + 24);
                Vector512<double> a4 = Vector512.Load(d + 32), a5 = Vector512.Load(d + 40), a6 = Vector512.Load(d + 48), a7 = Vector512.Load(d + 56);
                var p = x + j;
                for (var i = 0; i < rows; i++, p += stride)
                {
                    var (l0, h0) = Vector512.Widen(Vector512.Load(p));
                    var (l1, h1) = Vector512.Widen(Vector512.Load(p + 16));
                    var (l2, h2) = Vector512.Widen(Vector512.Load(p + 32));
                    var (l3, h3) = Vector512.Widen(Vector512.Load(p + 48));
                    a0 += l0;
                    a1 += h0;
                    a2 += l1;
                    a3 += h1;
                    a4 += l2;
                    a5 += h2;
                    a6 += l3;
                    a7 += h3;
                }

                a0.Store(d);
                a1.Store(d + 8);
                a2.Store(d + 16);
                a3.Store(d + 24);
                a4.Store(d + 32);
                a5.Store(d + 40);
                a6.Store(d + 48);
                a7.Store(d + 56);
            }

            j = AccumulateStrips<Float512, Double512>(acc, x, rows, stride, j, width);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 16 <= width; j += 16)
            {
                var d = acc + j;
                Vector256<double> a0 = Vector256.Load(d), a1 = Vector256.Load(d + 4), a2 = Vector256.Load(d + 8), a3 = Vector256.Load(d + 12);
                var p = x + j;
                for (var i = 0; i < rows; i++, p += stride)
                {
                    var (l0, h0) = Vector256.Widen(Vector256.Load(p));
                    var (l1, h1) = Vector256.Widen(Vector256.Load(p + 8));
                    a0 += l0;
                    a1 += h0;
                    a2 += l1;
                    a3 += h1;
                }

                a0.Store(d);
                a1.Store(d + 4);
                a2.Store(d + 8);
                a3.Store(d + 12);
            }

            j = AccumulateStrips<Float256, Double256>(acc, x, rows, stride, j, width);
        }

        for (; j < width; j++)
        {
            var s = acc[j];
            var p = x + j;
            for (var i = 0; i < rows; i++, p += stride)
            {
                s += *p;
            }

            acc[j] = s;
        }
    }

    /// <summary>
    /// <see cref="AccumulateColumns"/> from column <paramref name="j"/> in strips of one <typeparamref name="TFloat"/>
    /// (two double accumulators) while a whole strip fits; returns where it stopped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AccumulateStrips<TFloat, TDouble>(double* acc, float* x, int rows, nint stride, int j, int width)
        where TFloat : unmanaged, IWideningFloatLanes<TFloat, TDouble>
        where TDouble : unmanaged, IDoubleLanes<TDouble>
    {
        for (; j + TFloat.Count <= width; j += TFloat.Count)
        {
            var d = acc + j;
            TDouble a0 = TDouble.Load(d), a1 = TDouble.Load(d + TDouble.Count);
            var p = x + j;
            for (var i = 0; i < rows; i++, p += stride)
            {
                var (l0, h0) = TFloat.Widen(TFloat.Load(p));
                a0 += l0;
                a1 += h0;
            }

            a0.Store(d);
            a1.Store(d + TDouble.Count);
        }

        return j;
    }

    /// <summary>Sets <paramref name="n"/> doubles to zero.</summary>
    public static void Clear(double* p, int n) => new Span<double>(p, n).Clear();

    /// <summary>The column sums of row chunk <c>index</c>, into row <c>index</c> of <paramref name="partials"/>.</summary>
    private readonly struct ColumnSumTask(float* x, int rows, int columns, double* partials) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var acc = partials + ((nint)index * columns);
            Clear(acc, columns);
            var start = index * RowsPerChunk;
            var end = Math.Min(rows, start + RowsPerChunk);
            AccumulateColumns(acc, x + ((nint)start * columns), end - start, columns, columns);
        }
    }
}
