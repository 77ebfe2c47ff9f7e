namespace Acr.Backends.Gpu.Ops;

/// <summary>
/// <c>column-sum</c>: in double, one thread per column over the rows in order when there are few rows; over many, two
/// launches (<see cref="ColumnReduction"/>): partial sums over fixed chunks of rows, then the chunks in order.
/// </summary>
internal sealed class ColumnSumKernel(GpuBackend backend) : GpuKernel<ColumnSumOp.Args>(backend, ColumnSumOp.Instance)
{
    protected override void Execute(in ColumnSumOp.Args a)
    {
        int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        if (columns == 0)
        {
            return;
        }

        var chunkRows = ColumnReduction.ChunkRows(rows);
        if (chunkRows >= rows)
        {
            Kernels.ColumnSum(Stream, Geometry.Linear(columns), F(a.X), F(a.Y), rows, columns, Flag(a.Accumulate));
            return;
        }

        var scratch = ColumnReduction.Rent(Backend, rows, columns, chunkRows, out var partial, out var chunks);
        try
        {
            Kernels.ColumnPartials(Stream, Geometry.Linear((long)chunks * columns), F(a.X), partial, rows, columns, chunkRows);
            Kernels.ColumnFinish(Stream, Geometry.Linear(columns), partial, F(a.Y), chunks, columns, Flag(a.Accumulate));
        }
        finally
        {
            Backend.ReturnScratch(scratch);
        }
    }
}

/// <summary>The two-pass column reduction shared by <c>column-sum</c> and the centre gradient of <c>row-squared-distance</c>.</summary>
internal static class ColumnReduction
{
    /// <summary>Rows per chunk for <paramref name="rows"/> rows: 64, or more so that there are at most 1024 chunks. Depends only on the shape.</summary>
    public static int ChunkRows(int rows) => Math.Max(64, (rows + 1023) / 1024);

    /// <summary>Rents the partial sums of a reduction over <paramref name="rows"/> rows: chunks × columns doubles (return the buffer once the launches are queued).</summary>
    public static Memory.GpuBuffer Rent(GpuBackend backend, int rows, int columns, int chunkRows, out ArrayView<double> partial, out int chunks)
    {
        chunks = (rows + chunkRows - 1) / chunkRows;
        var scratch = backend.RentScratch(2 * chunks * columns);
        partial = scratch.Floats(2 * chunks * columns).Cast<double>();
        return scratch;
    }
}
