using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Acr.Backends.Cpu.Threading;

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
    public static void ColumnSum(WorkerPool pool, float* x, int rows, int columns, float* y, bool accumulate, double* partials)
    {
        var chunks = ChunkCount(rows);
        var task = new ColumnSumTask { X = x, Rows = rows, Columns = columns, Partials = partials };
        if (chunks == 1 || pool.Threads == 1 || (long)rows * columns < ElementWiseDriver.ParallelThreshold)
        {
            for (var c = 0; c < chunks; c++)
            {
                task.Execute(c, 0);
            }
        }
        else
        {
            pool.Run(ref task, chunks);
        }

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

    /// <summary><c>acc[j] += x[j]</c>, widening to double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(double* acc, float* x, int n)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - 16; j += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(x + j));
                (Vector512.Load(acc + j) + lo).Store(acc + j);
                (Vector512.Load(acc + j + 8) + hi).Store(acc + j + 8);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= n - 8; j += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(x + j));
                (Vector256.Load(acc + j) + lo).Store(acc + j);
                (Vector256.Load(acc + j + 4) + hi).Store(acc + j + 4);
            }
        }

        for (; j < n; j++)
        {
            acc[j] += x[j];
        }
    }

    /// <summary><c>acc[j] += (x[j] − mu[j])²</c>, in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSquaredDeviation(double* acc, float* x, double* mu, int n)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - 16; j += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(x + j));
                var dlo = lo - Vector512.Load(mu + j);
                var dhi = hi - Vector512.Load(mu + j + 8);
                (Vector512.Load(acc + j) + (dlo * dlo)).Store(acc + j);
                (Vector512.Load(acc + j + 8) + (dhi * dhi)).Store(acc + j + 8);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= n - 8; j += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(x + j));
                var dlo = lo - Vector256.Load(mu + j);
                var dhi = hi - Vector256.Load(mu + j + 4);
                (Vector256.Load(acc + j) + (dlo * dlo)).Store(acc + j);
                (Vector256.Load(acc + j + 4) + (dhi * dhi)).Store(acc + j + 4);
            }
        }

        for (; j < n; j++)
        {
            var d = x[j] - mu[j];
            acc[j] += d * d;
        }
    }

    /// <summary>Sets <paramref name="n"/> doubles to zero.</summary>
    public static void Clear(double* p, int n) => new Span<double>(p, n).Clear();

    private struct ColumnSumTask : IParallelTask
    {
        public float* X;
        public int Rows;
        public int Columns;
        public double* Partials;

        public readonly void Execute(int index, int worker)
        {
            var acc = Partials + ((nint)index * Columns);
            Clear(acc, Columns);
            var end = Math.Min(Rows, (index + 1) * RowsPerChunk);
            for (var i = index * RowsPerChunk; i < end; i++)
            {
                AddWidened(acc, X + ((nint)i * Columns), Columns);
            }
        }
    }
}
