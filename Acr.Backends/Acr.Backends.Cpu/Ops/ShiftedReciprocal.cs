namespace Acr.Backends.Cpu.Ops;

/// <summary><c>y = 1/(x + ε)</c> on the element-wise driver.</summary>
internal sealed unsafe class ShiftedReciprocalKernel(CpuBackend backend) : CpuKernel<PointwiseArgs>(backend, ShiftedReciprocalOp.Instance)
{
    protected override void Execute(in PointwiseArgs a) =>
        ElementWiseDriver.BinaryScalar<ShiftedReciprocalOperator>(Backend.Pool, Pointer(a.X), a.Scalar, Pointer(a.Y), a.X.Length);
}

/// <summary><c>dx (+)= −dy·y²</c> on the element-wise driver.</summary>
internal sealed class ShiftedReciprocalBackwardKernel(CpuBackend backend)
    : PointwiseBackwardKernel<ShiftedReciprocalBackwardOp, ShiftedReciprocalBackwardOperator, ShiftedReciprocalBackwardAccumulateOperator>(backend);
