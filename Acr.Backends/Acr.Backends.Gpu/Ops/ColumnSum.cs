namespace Acr.Backends.Gpu.Ops;

/// <summary><c>column-sum</c>: one thread per column, rows in order, in double.</summary>
internal sealed class ColumnSumKernel(GpuBackend backend) : GpuKernel<ColumnSumOp.Args>(backend, ColumnSumOp.Instance)
{
    protected override void Execute(in ColumnSumOp.Args a)
    {
        int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        if (columns > 0)
        {
            Kernels.ColumnSum(Stream, Geometry.Linear(columns), F(a.X), F(a.Y), rows, columns, Flag(a.Accumulate));
        }
    }
}
