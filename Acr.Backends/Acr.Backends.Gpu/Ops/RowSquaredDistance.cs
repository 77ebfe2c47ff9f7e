namespace Acr.Backends.Gpu.Ops;

/// <summary><c>row-squared-distance</c>: one thread per row, in double.</summary>
internal sealed class RowSquaredDistanceKernel(GpuBackend backend) : GpuKernel<RowSquaredDistanceOp.Args>(backend, RowSquaredDistanceOp.Instance)
{
    protected override void Execute(in RowSquaredDistanceOp.Args a)
    {
        int rows = a.Z.Shape.Rows, columns = a.Z.Shape.Columns;
        if (rows > 0)
        {
            Kernels.RowSquaredDistance(Stream, Geometry.Linear(rows), F(a.Z), F(a.Center), F(a.Distance), rows, columns);
        }
    }
}

/// <summary><c>row-squared-distance-backward</c>: dz element-wise, then dCenter one thread per column over the rows in order.</summary>
internal sealed class RowSquaredDistanceBackwardKernel(GpuBackend backend) : GpuKernel<RowSquaredDistanceBackwardOp.Args>(backend, RowSquaredDistanceBackwardOp.Instance)
{
    protected override void Execute(in RowSquaredDistanceBackwardOp.Args a)
    {
        int rows = a.Z.Shape.Rows, columns = a.Z.Shape.Columns;
        if (rows * columns > 0)
        {
            Kernels.RowSquaredDistanceBackwardZ(Stream, Geometry.Linear(rows * columns), F(a.Z), F(a.Center), F(a.DDistance), F(a.Dz), rows, columns, Flag(a.AccumulateZ));
        }

        if (columns > 0)
        {
            Kernels.RowSquaredDistanceBackwardCenter(Stream, Geometry.Linear(columns), F(a.Z), F(a.Center), F(a.DDistance), F(a.DCenter), rows, columns, Flag(a.AccumulateCenter));
        }
    }
}
