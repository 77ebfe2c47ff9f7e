namespace Acr.Backends.Cpu.Ops;

/// <summary>Deep SVDD distances, double accumulation per row.</summary>
internal sealed unsafe class RowSquaredDistanceKernel(CpuBackend backend) : CpuKernel<RowSquaredDistanceOp.Args>(backend, RowSquaredDistanceOp.Instance)
{
    protected override void Execute(in RowSquaredDistanceOp.Args a) =>
        Distance.RowSquaredDistance(Backend.Pool, Pointer(a.Z), Pointer(a.Center), Pointer(a.Distance), a.Z.Shape.Rows, a.Z.Shape.Columns);
}

/// <summary>Distance backward: dz row by row, dCenter from fixed row chunks summed in order.</summary>
internal sealed unsafe class RowSquaredDistanceBackwardKernel(CpuBackend backend) : CpuKernel<RowSquaredDistanceBackwardOp.Args>(backend, RowSquaredDistanceBackwardOp.Instance)
{
    protected override void Execute(in RowSquaredDistanceBackwardOp.Args a)
    {
        int rows = a.Z.Shape.Rows, columns = a.Z.Shape.Columns;
        var partials = Backend.DoubleScratch.Ensure(Reductions.ChunkCount(rows) * columns);
        Distance.RowSquaredDistanceBackward(Backend.Pool, Pointer(a.Z), Pointer(a.Center), Pointer(a.DDistance), rows, columns,
            Pointer(a.Dz), a.AccumulateZ, Pointer(a.DCenter), a.AccumulateCenter, partials);
    }
}
