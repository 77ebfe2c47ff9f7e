namespace Acr.Backends.Cpu.Ops;

/// <summary>Group means: chunks of groups over the team, each column summed over the group's rows in double, in row order.</summary>
internal sealed unsafe class GroupMeanKernel(CpuBackend backend) : CpuKernel<GroupMeanOp.Args>(backend, GroupMeanOp.Instance)
{
    protected override void Execute(in GroupMeanOp.Args a)
    {
        int columns = a.X.Shape.Columns, groupSize = a.GroupSize, groups = a.X.Shape.Rows / a.GroupSize;
        var perTask = Math.Max(1, (1 << 14) / Math.Max(1, groupSize * columns));
        var task = new MeanTask(Pointer(a.X), Pointer(a.Y), columns, groupSize, groups, perTask);
        Backend.Pool.Run(ref task, (groups + perTask - 1) / perTask, parallel: (long)groups * groupSize * columns >= 1 << 16);
    }

    /// <summary>Groups <c>[index·perTask, (index + 1)·perTask)</c>: each one's mean row.</summary>
    private readonly struct MeanTask(float* x, float* y, int columns, int groupSize, int groups, int perTask) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int c = columns, v = groupSize;
            var end = Math.Min(groups, (index + 1) * perTask);
            for (var g = index * perTask; g < end; g++)
            {
                var first = x + ((nint)g * v * c);
                for (var j = 0; j < c; j++)
                {
                    double s = 0;
                    for (var k = 0; k < v; k++)
                    {
                        s += first[((nint)k * c) + j];
                    }

                    y[((nint)g * c) + j] = (float)(s / v);
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
