using Acr.Backends.Cpu.Kernels.Gemm;

namespace Acr.Backends.Cpu.Ops;

/// <summary>One GEMM whose micro-tiles get the bias added right after their last K block, while they are in L1.</summary>
internal sealed unsafe class LinearKernel(CpuBackend backend) : CpuKernel<LinearOp.Args>(backend, LinearOp.Instance)
{
    protected override void Execute(in LinearOp.Args a) => GemmKernel.Run(Backend, new GemmProblem
    {
        A = Pointer(a.X),
        B = Pointer(a.Weight),
        C = Pointer(a.Y),
        Bias = a.Bias is null ? null : Pointer(a.Bias),
        M = a.X.Shape.Rows,
        N = a.Weight.Shape.Rows,
        K = a.X.Shape.Columns,
        TransposeA = false,
        TransposeB = true,
        Alpha = 1f,
        Beta = 0f,
    });
}
