using Acr.Backends.Cpu.Kernels.Gemm;

namespace Acr.Backends.Cpu.Ops;

/// <summary>One GEMM whose micro-tiles get the bias added right after their last K block, while they are in L1.</summary>
internal sealed unsafe class LinearKernel(CpuBackend backend) : CpuKernel<LinearOp.Args>(backend, LinearOp.Instance)
{
    protected override void Execute(in LinearOp.Args a) => GemmKernel.Run(Backend, new GemmProblem(
        transposeA: false, transposeB: true, m: a.X.Shape.Rows, n: a.Weight.Shape.Rows, k: a.X.Shape.Columns,
        alpha: 1f, a: Pointer(a.X), b: Pointer(a.Weight), beta: 0f, c: Pointer(a.Y), bias: a.Bias is null ? null : Pointer(a.Bias)));
}
