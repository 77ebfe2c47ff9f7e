using Acr.Backends.Cpu.Kernels.Gemm;

namespace Acr.Backends.Cpu.Ops;

/// <summary>The blocked, register-tiled GEMM (see <c>Kernels/Gemm/</c>), on the widest micro-kernel the hardware runs.</summary>
internal sealed unsafe class GemmKernel(CpuBackend backend) : CpuKernel<GemmOp.Args>(backend, GemmOp.Instance)
{
    protected override void Execute(in GemmOp.Args a) =>
        Run(Backend, new GemmProblem(a.TransposeA, a.TransposeB, a.M, a.N, a.K, a.Alpha, Pointer(a.A), Pointer(a.B), a.Beta, Pointer(a.C)));

    /// <summary>Runs one GEMM problem on the backend's micro-kernel (also used by Linear and the batched GEMM).</summary>
    internal static void Run(CpuBackend backend, in GemmProblem problem)
    {
        switch (backend.ActiveGemmKernel)
        {
            case CpuBackend.GemmKernel.Vector512 when problem.N <= MicroKernel512Narrow.NR:
                // Same KC, so the same bits as the 8×32 kernel, without computing a half-empty tile.
                GemmDriver<MicroKernel512Narrow>.Run(problem, backend.Pool, backend.GemmWorkspace);
                break;
            case CpuBackend.GemmKernel.Vector512:
                GemmDriver<MicroKernel512>.Run(problem, backend.Pool, backend.GemmWorkspace);
                break;
            case CpuBackend.GemmKernel.Vector256:
                GemmDriver<MicroKernel256>.Run(problem, backend.Pool, backend.GemmWorkspace);
                break;
            default:
                GemmDriver<MicroKernelScalar>.Run(problem, backend.Pool, backend.GemmWorkspace);
                break;
        }
    }
}
