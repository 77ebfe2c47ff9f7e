namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// The row-broadcast kernels: <c>y[i, j] = TOp(x[i, j], u[j], v[j], w[j])</c> over an R×C row-major matrix, each
/// row one run of the element-wise loop (<see cref="ElementWiseDriver.Loop{TBody}"/>) across its columns. Large
/// matrices are split into fixed blocks of rows (depending on the shape only) spread over the worker pool.
/// y may alias x exactly.
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
            ElementWiseDriver.Loop(new RowBody<TOp>(x + offset, u, v, w, y + offset), 0, width);
        }
    }

    /// <summary><c>y[j] = TOp(x[j], u[j], v[j], w[j])</c> along one row.</summary>
    private readonly struct RowBody<TOp>(float* x, float* u, float* v, float* w, float* y) : IElementWiseBody
        where TOp : IRowOperator
    {
        public void At512(nint j) => TOp.Invoke(Vector512.Load(x + j), Vector512.Load(u + j), Vector512.Load(v + j), Vector512.Load(w + j)).Store(y + j);

        public void At256(nint j) => TOp.Invoke(Vector256.Load(x + j), Vector256.Load(u + j), Vector256.Load(v + j), Vector256.Load(w + j)).Store(y + j);

        public void At128(nint j) => TOp.Invoke(Vector128.Load(x + j), Vector128.Load(u + j), Vector128.Load(v + j), Vector128.Load(w + j)).Store(y + j);

        public void At(nint j) => y[j] = TOp.Invoke(x[j], u[j], v[j], w[j]);
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
