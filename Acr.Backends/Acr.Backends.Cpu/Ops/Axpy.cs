namespace Acr.Backends.Cpu.Ops;

/// <summary><c>y += alpha·x</c> on the element-wise driver.</summary>
internal sealed unsafe class AxpyKernel(CpuBackend backend) : CpuKernel<PointwiseArgs>(backend, AxpyOp.Instance)
{
    protected override void Execute(in PointwiseArgs a)
    {
        var y = Pointer(a.Y);
        ElementWiseDriver.TernaryScalar<AxpyOperator>(Backend.Pool, Pointer(a.X), y, a.Scalar, y, a.X.Length);
    }
}
