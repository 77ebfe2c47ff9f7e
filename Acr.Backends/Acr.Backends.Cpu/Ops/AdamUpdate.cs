namespace Acr.Backends.Cpu.Ops;

/// <summary>Fused Adam in PyTorch's float order, bias corrections in double.</summary>
internal sealed unsafe class AdamUpdateKernel(CpuBackend backend) : CpuKernel<AdamUpdateOp.Args>(backend, AdamUpdateOp.Instance)
{
    protected override void Execute(in AdamUpdateOp.Args a) =>
        Kernels.Adam.Update(Backend.Pool, Pointer(a.Parameter), Pointer(a.Gradient), Pointer(a.FirstMoment), Pointer(a.SecondMoment), a.Parameter.Length, a.Step);
}
