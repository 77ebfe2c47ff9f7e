namespace Acr.Backends.Cpu.Ops;

/// <summary>Row gather: fixed chunks of output rows spread over the team, each row one block copy (NaN for an out-of-range index).</summary>
internal sealed unsafe class GatherRowsKernel(CpuBackend backend) : CpuKernel<GatherRowsOp.Args>(backend, GatherRowsOp.Instance)
{
    protected override void Execute(in GatherRowsOp.Args a)
    {
        var task = new GatherTask { X = Pointer(a.X), Indices = IntPointer(a.Indices), Y = Pointer(a.Y), Rows = a.X.Shape.Rows, Columns = a.X.Shape.Columns, Count = a.Indices.Length };
        var tasks = (task.Count + GatherTask.RowsPerTask - 1) / GatherTask.RowsPerTask;
        Backend.Pool.Run(ref task, tasks, parallel: (long)task.Count * task.Columns >= 1 << 16);
    }

    private struct GatherTask : IParallelTask
    {
        public const int RowsPerTask = 512;

        public float* X;
        public int* Indices;
        public float* Y;
        public int Rows;
        public int Columns;
        public int Count;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var c = Columns;
            var end = Math.Min(Count, (index + 1) * RowsPerTask);
            for (var i = index * RowsPerTask; i < end; i++)
            {
                var destination = new Span<float>(Y + ((nint)i * c), c);
                var source = Indices[i];
                if ((uint)source < (uint)Rows)
                {
                    new ReadOnlySpan<float>(X + ((nint)source * c), c).CopyTo(destination);
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
