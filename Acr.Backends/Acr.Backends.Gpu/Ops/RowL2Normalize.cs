namespace Acr.Backends.Gpu.Ops;

/// <summary><c>row-l2-normalize</c>: one thread per row (so y may be x), the norm in double.</summary>
internal sealed class RowL2NormalizeKernel(GpuBackend backend) : GpuKernel<RowL2NormalizeOp.Args>(backend, RowL2NormalizeOp.Instance)
{
    protected override void Execute(in RowL2NormalizeOp.Args a)
    {
        int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        if (rows > 0)
        {
            Kernels.RowL2Normalize(Stream, Geometry.Linear(rows), F(a.X), F(a.Y), F(a.Norm), rows, columns, a.Epsilon);
        }
    }
}

/// <summary><c>row-l2-normalize-backward</c>: one thread per row, the dot product in double.</summary>
internal sealed class RowL2NormalizeBackwardKernel(GpuBackend backend) : GpuKernel<RowL2NormalizeBackwardOp.Args>(backend, RowL2NormalizeBackwardOp.Instance)
{
    protected override void Execute(in RowL2NormalizeBackwardOp.Args a)
    {
        int rows = a.Y.Shape.Rows, columns = a.Y.Shape.Columns;
        if (rows > 0)
        {
            Kernels.RowL2NormalizeBackward(Stream, Geometry.Linear(rows), F(a.Y), F(a.Norm), F(a.Dy), F(a.Dx), rows, columns, a.Epsilon, Flag(a.Accumulate));
        }
    }
}
