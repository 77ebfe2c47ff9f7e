namespace Acr.Backends.Cpu.Ops;

/// <summary>Group means: chunks of groups over the team, each column summed over the group's rows in double, in row order.</summary>
internal sealed unsafe class GroupMeanKernel(CpuBackend backend) : CpuKernel<GroupMeanOp.Args>(backend, GroupMeanOp.Instance)
{
    protected override void Execute(in GroupMeanOp.Args a)
    {
        var task = new MeanTask { X = Pointer(a.X), Y = Pointer(a.Y), Columns = a.X.Shape.Columns, GroupSize = a.GroupSize, Groups = a.X.Shape.Rows / a.GroupSize };
        task.Run(Backend.Pool);
    }

    private struct MeanTask : IParallelTask
    {
        public float* X;
        public float* Y;
        public int Columns;
        public int GroupSize;
        public int Groups;
        private int _perTask;

        public void Run(WorkerPool pool)
        {
            _perTask = Math.Max(1, (1 << 14) / Math.Max(1, GroupSize * Columns));
            var tasks = (Groups + _perTask - 1) / _perTask;
            pool.Run(ref this, tasks, parallel: (long)Groups * GroupSize * Columns >= 1 << 16);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            int c = Columns, v = GroupSize;
            var end = Math.Min(Groups, (index + 1) * _perTask);
            for (var g = index * _perTask; g < end; g++)
            {
                var first = X + ((nint)g * v * c);
                for (var j = 0; j < c; j++)
                {
                    double s = 0;
                    for (var k = 0; k < v; k++)
                    {
                        s += first[((nint)k * c) + j];
                    }

                    Y[((nint)g * c) + j] = (float)(s / v);
                }
            }
        }
    }
}

/// <summary>Group-mean backward: each input row gets its group's gradient divided by the group size.</summary>
internal sealed unsafe class GroupMeanBackwardKernel(CpuBackend backend) : CpuKernel<GroupMeanBackwardOp.Args>(backend, GroupMeanBackwardOp.Instance)
{
    protected override void Execute(in GroupMeanBackwardOp.Args a)
    {
        int rows = a.Dx.Shape.Rows, c = a.Dx.Shape.Columns, v = a.GroupSize;
        float* dy = Pointer(a.Dy), dx = Pointer(a.Dx);
        for (var i = 0; i < rows; i++)
        {
            var source = dy + ((nint)(i / v) * c);
            var target = dx + ((nint)i * c);
            for (var j = 0; j < c; j++)
            {
                var g = source[j] / v;
                target[j] = a.Accumulate ? target[j] + g : g;
            }
        }
    }
}
