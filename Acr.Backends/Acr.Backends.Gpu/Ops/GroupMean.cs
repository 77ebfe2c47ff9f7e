namespace Acr.Backends.Gpu.Ops;

/// <summary><c>group-mean</c>: one thread per output, in double.</summary>
internal sealed class GroupMeanKernel(GpuBackend backend) : GpuKernel<GroupMeanOp.Args>(backend, GroupMeanOp.Instance)
{
    protected override void Execute(in GroupMeanOp.Args a)
    {
        int columns = a.X.Shape.Columns, groups = a.X.Shape.Rows / a.GroupSize;
        if (groups * columns > 0)
        {
            Kernels.GroupMean(Stream, Geometry.Linear(groups * columns), F(a.X), F(a.Y), groups, columns, a.GroupSize);
        }
    }
}

/// <summary><c>group-mean-backward</c>: one grid-stride launch.</summary>
internal sealed class GroupMeanBackwardKernel(GpuBackend backend) : GpuKernel<GroupMeanBackwardOp.Args>(backend, GroupMeanBackwardOp.Instance)
{
    protected override void Execute(in GroupMeanBackwardOp.Args a)
    {
        int rows = a.Dx.Shape.Rows, columns = a.Dx.Shape.Columns;
        if (rows * columns > 0)
        {
            Kernels.GroupMeanBackward(Stream, Geometry.Linear(rows * columns), F(a.Dy), F(a.Dx), rows, columns, a.GroupSize, Flag(a.Accumulate));
        }
    }
}
