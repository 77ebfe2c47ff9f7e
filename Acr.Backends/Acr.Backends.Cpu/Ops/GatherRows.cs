namespace Acr.Backends.Cpu.Ops;

/// <summary>Row gather: fixed chunks of output rows spread over the team, each row one block copy (NaN for an out-of-range index).</summary>
internal sealed unsafe class GatherRowsKernel(CpuBackend backend) : CpuKernel<GatherRowsOp.Args>(backend, GatherRowsOp.Instance)
{
    protected override void Execute(in GatherRowsOp.Args a)
    {
        int columns = a.X.Shape.Columns, count = a.Indices.Length;
        var task = new GatherTask(Pointer(a.X), IntPointer(a.Indices), Pointer(a.Y), a.X.Shape.Rows, columns, count);
        var tasks = (count + GatherTask.RowsPerTask - 1) / GatherTask.RowsPerTask;
        Backend.Pool.Run(ref task, tasks, parallel: (long)count * columns >= 1 << 16);
    }

    /// <summary>Output rows <c>[index·RowsPerTask, (index + 1)·RowsPerTask)</c> of <paramref name="count"/>.</summary>
    private readonly struct GatherTask(float* x, int* indices, float* y, int rows, int columns, int count) : IParallelTask
    {
        public const int RowsPerTask = 512;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var c = columns;
            var end = Math.Min(count, (index + 1) * RowsPerTask);
            for (var i = index * RowsPerTask; i < end; i++)
            {
                var destination = new Span<float>(y + ((nint)i * c), c);
                var source = indices[i];
                if ((uint)source < (uint)rows)
                {
                    new ReadOnlySpan<float>(x + ((nint)source * c), c).CopyTo(destination);
                }
                else
                {
                    destination.Fill(float.NaN);
                }
            }
        }
    }
}

/// <summary>Scatter-add in index order (the order fixes the rounding of repeated indices), each row a vectorised add.</summary>
internal sealed unsafe class ScatterAddRowsKernel(CpuBackend backend) : CpuKernel<ScatterAddRowsOp.Args>(backend, ScatterAddRowsOp.Instance)
{
    protected override void Execute(in ScatterAddRowsOp.Args a)
    {
        int rows = a.Dx.Shape.Rows, c = a.Dx.Shape.Columns, n = a.Indices.Length;
        float* dy = Pointer(a.Dy), dx = Pointer(a.Dx);
        var indices = IntPointer(a.Indices);
        if (!a.Accumulate)
        {
            new Span<float>(dx, rows * c).Clear();
        }

        for (var i = 0; i < n; i++)
        {
            var target = indices[i];
            if ((uint)target < (uint)rows)
            {
                var row = new Span<float>(dx + ((nint)target * c), c);
                System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(dy + ((nint)i * c), c), row);
            }
        }
    }
}
