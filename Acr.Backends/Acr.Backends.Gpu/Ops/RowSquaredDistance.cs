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

/// <summary><c>row-squared-distance-backward</c>: dz element-wise, then dCenter one thread per column over the rows in order, or in two passes over chunks of rows when there are many (<see cref="ColumnReduction"/>).</summary>
internal sealed class RowSquaredDistanceBackwardKernel(GpuBackend backend) : GpuKernel<RowSquaredDistanceBackwardOp.Args>(backend, RowSquaredDistanceBackwardOp.Instance)
{
    protected override void Execute(in RowSquaredDistanceBackwardOp.Args a)
    {
        int rows = a.Z.Shape.Rows, columns = a.Z.Shape.Columns;
        if (rows * columns > 0)
        {
            Kernels.RowSquaredDistanceBackwardZ(Stream, Geometry.Linear(rows * columns), F(a.Z), F(a.Center), F(a.DDistance), F(a.Dz), rows, columns, Flag(a.AccumulateZ));
        }

        if (columns == 0)
        {
            return;
        }

        var chunkRows = ColumnReduction.ChunkRows(rows);
        if (chunkRows >= rows)
        {
            Kernels.RowSquaredDistanceBackwardCenter(Stream, Geometry.Linear(columns), F(a.Z), F(a.Center), F(a.DDistance), F(a.DCenter), rows, columns, Flag(a.AccumulateCenter));
            return;
        }

        var scratch = ColumnReduction.Rent(Backend, rows, columns, chunkRows, out var partial, out var chunks);
        try
        {
            Kernels.DistanceCenterPartials(Stream, Geometry.Linear((long)chunks * columns), F(a.Z), F(a.Center), F(a.DDistance), partial, rows, columns, chunkRows);
            Kernels.ColumnFinish(Stream, Geometry.Linear(columns), partial, F(a.DCenter), chunks, columns, Flag(a.AccumulateCenter));
        }
        finally
        {
            Backend.ReturnScratch(scratch);
        }
    }
}
