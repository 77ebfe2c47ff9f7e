namespace Acr.Backends.Cpu.Ops;

/// <summary>Column sums in double over fixed row chunks, summed in chunk order.</summary>
internal sealed unsafe class ColumnSumKernel(CpuBackend backend) : CpuKernel<ColumnSumOp.Args>(backend, ColumnSumOp.Instance)
{
    protected override void Execute(in ColumnSumOp.Args a)
    {
        int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        var partials = Backend.DoubleScratch.Ensure(Reductions.ChunkCount(rows) * columns);
        Reductions.ColumnSum(Backend.Pool, Pointer(a.X), rows, columns, Pointer(a.Y), a.Accumulate, partials);
    }
}
