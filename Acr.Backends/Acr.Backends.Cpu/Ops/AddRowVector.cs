namespace Acr.Backends.Cpu.Ops;

/// <summary>Row broadcast add on the row-broadcast driver.</summary>
internal sealed unsafe class AddRowVectorKernel(CpuBackend backend) : CpuKernel<AddRowVectorOp.Args>(backend, AddRowVectorOp.Instance)
{
    protected override void Execute(in AddRowVectorOp.Args a)
    {
        var v = Pointer(a.V);
        RowBroadcastDriver.Run<AddRowOperator>(Backend.Pool, Pointer(a.X), v, v, v, Pointer(a.Y), a.X.Shape.Rows, a.X.Shape.Columns);
    }
}
