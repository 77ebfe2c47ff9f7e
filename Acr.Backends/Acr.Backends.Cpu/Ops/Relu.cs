namespace Acr.Backends.Cpu.Ops;

/// <summary>ReLU on the element-wise driver.</summary>
internal sealed unsafe class ReluKernel(CpuBackend backend) : CpuKernel<PointwiseArgs>(backend, ReluOp.Instance)
{
    protected override void Execute(in PointwiseArgs a) => ElementWiseDriver.Unary<ReluOperator>(Backend.Pool, Pointer(a.X), Pointer(a.Y), a.X.Length);
}

/// <summary>ReLU backward on the element-wise driver.</summary>
internal sealed class ReluBackwardKernel(CpuBackend backend)
    : PointwiseBackwardKernel<ReluBackwardOp, ReluBackwardOperator, ReluBackwardAccumulateOperator>(backend);
