namespace Acr.Backends.Cpu.Ops;

/// <summary><c>y += alpha·x</c> on the element-wise driver.</summary>
internal sealed unsafe class AxpyKernel(CpuBackend backend) : CpuKernel<AxpyOp.Args>(backend, AxpyOp.Instance)
{
    protected override void Execute(in AxpyOp.Args a)
    {
        var y = Pointer(a.Y);
        ElementWiseDriver.TernaryScalar<AxpyOperator>(Backend.Pool, Pointer(a.X), y, a.Alpha, y, a.X.Length);
    }
}
