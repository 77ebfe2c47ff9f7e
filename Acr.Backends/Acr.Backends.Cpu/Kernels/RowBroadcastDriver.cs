namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// The one generic loop for row-broadcast kernels: <c>y[i, j] = TOp(x[i, j], u[j], v[j], w[j])</c> over an
/// R×C row-major matrix. Rows are vectorised across columns; large matrices are split into fixed blocks of
/// rows (depending on the shape only) spread over the worker pool. y may alias x exactly.
/// </summary>
internal static unsafe class RowBroadcastDriver
{
    /// <summary>Applies <typeparamref name="TOp"/> to every element of the R×C matrix x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TOp>(WorkerPool pool, float* x, float* u, float* v, float* w, float* y, int rows, int columns)
        where TOp : IRowOperator
    {
        var length = (long)rows * columns;
        if (length < ElementWiseDriver.ParallelThreshold || pool.Threads == 1 || rows < 2)
        {
            Rows<TOp>(x, u, v, w, y, 0, rows, columns, columns);
            return;
        }

        var rowsPerTask = Math.Max(1, ElementWiseDriver.ChunkLength / columns);
        var task = new RowTask<TOp>(x, u, v, w, y, rows, columns, rowsPerTask);
        pool.Run(ref task, (rows + rowsPerTask - 1) / rowsPerTask);
    }

    /// <summary>
    /// Rows <c>[rowStart, rowEnd)</c> on the calling thread, <paramref name="width"/> columns of each,
    /// rows <paramref name="stride"/> elements apart (u, v, w hold <paramref name="width"/> values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<TOp>(float* x, float* u, float* v, float* w, float* y, int rowStart, int rowEnd, int width, int stride)
        where TOp : IRowOperator
    {
        for (var r = rowStart; r < rowEnd; r++)
        {
            var offset = (nint)r * stride;
            Row<TOp>(x + offset, u, v, w, y + offset, width);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TOp>(float* x, float* u, float* v, float* w, float* y, nint n)
        where TOp : IRowOperator
    {
        nint j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                TOp.Invoke(Vector512.Load(x + j), Vector512.Load(u + j), Vector512.Load(v + j), Vector512.Load(w + j)).Store(y + j);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= n - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.Load(x + j), Vector256.Load(u + j), Vector256.Load(v + j), Vector256.Load(w + j)).Store(y + j);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; j <= n - Vector128<float>.Count; j += Vector128<float>.Count)
            {
                TOp.Invoke(Vector128.Load(x + j), Vector128.Load(u + j), Vector128.Load(v + j), Vector128.Load(w + j)).Store(y + j);
            }
        }

        for (; j < n; j++)
        {
            y[j] = TOp.Invoke(x[j], u[j], v[j], w[j]);
        }
    }

    /// <summary>Rows <c>[index·rowsPerTask, (index + 1)·rowsPerTask)</c> of the matrix.</summary>
    private readonly struct RowTask<TOp>(float* x, float* u, float* v, float* w, float* y, int rows, int columns, int rowsPerTask) : IParallelTask
        where TOp : IRowOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var start = index * rowsPerTask;
            Rows<TOp>(x, u, v, w, y, start, Math.Min(rows, start + rowsPerTask), columns, columns);
        }
    }
}
