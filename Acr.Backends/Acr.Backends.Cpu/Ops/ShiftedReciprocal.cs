namespace Acr.Backends.Cpu.Ops;

/// <summary><c>y = 1/(x + ε)</c> on the element-wise driver.</summary>
internal sealed unsafe class ShiftedReciprocalKernel(CpuBackend backend) : CpuKernel<ShiftedReciprocalOp.Args>(backend, ShiftedReciprocalOp.Instance)
{
    protected override void Execute(in ShiftedReciprocalOp.Args a) =>
        ElementWiseDriver.BinaryScalar<ShiftedReciprocalOperator>(Backend.Pool, Pointer(a.X), a.Epsilon, Pointer(a.Y), a.X.Length);
}

/// <summary><c>dx (+)= −dy·y²</c> on the element-wise driver.</summary>
internal sealed unsafe class ShiftedReciprocalBackwardKernel(CpuBackend backend) : CpuKernel<PointwiseBackwardArgs>(backend, ShiftedReciprocalBackwardOp.Instance)
{
    protected override void Execute(in PointwiseBackwardArgs a)
    {
        float* y = Pointer(a.Y), dy = Pointer(a.Dy), dx = Pointer(a.Dx);
        if (a.Accumulate)
        {
            ElementWiseDriver.Ternary<ShiftedReciprocalBackwardAccumulateOperator>(Backend.Pool, y, dy, dx, dx, a.Y.Length);
        }
        else
        {
            ElementWiseDriver.Binary<ShiftedReciprocalBackwardOperator>(Backend.Pool, y, dy, dx, a.Y.Length);
        }
    }
}
