namespace Acr.Backends.Cpu.Ops;

/// <summary>ReLU on the element-wise driver.</summary>
internal sealed unsafe class ReluKernel(CpuBackend backend) : CpuKernel<ReluOp.Args>(backend, ReluOp.Instance)
{
    protected override void Execute(in ReluOp.Args a) => ElementWiseDriver.Unary<ReluOperator>(Backend.Pool, Pointer(a.X), Pointer(a.Y), a.X.Length);
}

/// <summary>ReLU backward: binary (overwrite) or ternary (accumulate) on the element-wise driver.</summary>
internal sealed unsafe class ReluBackwardKernel(CpuBackend backend) : CpuKernel<PointwiseBackwardArgs>(backend, ReluBackwardOp.Instance)
{
    protected override void Execute(in PointwiseBackwardArgs a)
    {
        float* y = Pointer(a.Y), dy = Pointer(a.Dy), dx = Pointer(a.Dx);
        if (a.Accumulate)
        {
            ElementWiseDriver.Ternary<ReluBackwardAccumulateOperator>(Backend.Pool, y, dy, dx, dx, a.Y.Length);
        }
        else
        {
            ElementWiseDriver.Binary<ReluBackwardOperator>(Backend.Pool, y, dy, dx, a.Y.Length);
        }
    }
}
