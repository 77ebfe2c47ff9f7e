namespace Acr.Backends.Gpu.Ops;

/// <summary><c>gemm</c>: the tiled shared-memory kernel (<see cref="GemmKernels"/>), every transpose in the same launch shape.</summary>
internal sealed class GemmKernel(GpuBackend backend) : GpuKernel<GemmOp.Args>(backend, GemmOp.Instance)
{
    protected override void Execute(in GemmOp.Args a) =>
        Enqueue(Backend, F(a.A), F(a.B), F(a.C), F(a.C), new GemmShape(a.M, a.N, a.K, Flag(a.TransposeA), Flag(a.TransposeB), a.Alpha, a.Beta,
            0, 0, 0, 1, 0, 0, Backend.Geometry.GemmKTile));

    /// <summary>Launches the GEMM kernel for <paramref name="shape"/> (also used by <c>linear</c> and <c>batched-gemm</c>); nothing for an empty C.</summary>
    internal static void Enqueue(GpuBackend backend, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmShape shape)
    {
        var g = backend.Geometry;
        int tileM = 4 * g.TileY, tileN = 4 * g.TileX;
        var zCount = shape.SumBatches != 0 ? 1 : shape.Count;
        if (shape.M == 0 || shape.N == 0 || zCount == 0)
        {
            return;
        }

        var config = new KernelConfig(
            new Index3D((shape.N + tileN - 1) / tileN, (shape.M + tileM - 1) / tileM, zCount),
            new Index3D(g.TileX, g.TileY, 1),
            SharedMemoryConfig.RequestDynamic<float>(shape.KTile * (tileM + tileN)));
        backend.Kernels.Gemm(backend.Stream, config, a, b, c, bias, shape);
    }
}
