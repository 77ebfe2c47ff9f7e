namespace Acr.Backends.Gpu.Ops;

/// <summary>
/// <c>batched-gemm</c>: the GEMM kernel over a grid of batches (z), a batch of 1 broadcast by a zero stride; a C of batch
/// 1 is one grid whose threads sum over the batch before k, in batch order.
/// </summary>
internal sealed class BatchedGemmKernel(GpuBackend backend) : GpuKernel<BatchedGemmOp.Args>(backend, BatchedGemmOp.Instance)
{
    protected override void Execute(in BatchedGemmOp.Args a)
    {
        int m = a.M, n = a.N, k = a.K, count = a.Count;
        var sum = a.C.Shape[0] == 1 && count > 1;
        var shape = GemmKernel.Shape(m, n, k, Flag(a.TransposeA), Flag(a.TransposeB), a.Alpha, a.Beta,
            a.A.Shape[0] == 1 ? 0 : m * k, a.B.Shape[0] == 1 ? 0 : k * n, a.C.Shape[0] == 1 ? 0 : m * n, count, Flag(sum), 0);
        GemmKernel.Enqueue(Backend, F(a.A), F(a.B), F(a.C), F(a.C), shape);
    }
}
