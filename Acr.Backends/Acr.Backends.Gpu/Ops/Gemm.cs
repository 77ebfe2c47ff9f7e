namespace Acr.Backends.Gpu.Ops;

/// <summary><c>gemm</c>: the tiled shared-memory kernel (<see cref="GemmKernels"/>), every transpose in the same launch shape.</summary>
internal sealed class GemmKernel(GpuBackend backend) : GpuKernel<GemmOp.Args>(backend, GemmOp.Instance)
{
    /// <summary>The smallest K range of one split: shorter ones would spend more on the second pass than they save.</summary>
    internal const int MinKPerSplit = 256;

    /// <summary>At most this many K splits (the partial sums take splits × M × N floats of scratch).</summary>
    internal const int MaxSplits = 32;

    protected override void Execute(in GemmOp.Args a) =>
        Enqueue(Backend, F(a.A), F(a.B), F(a.C), F(a.C), Shape(a.M, a.N, a.K, Flag(a.TransposeA), Flag(a.TransposeB), a.Alpha, a.Beta, 0, 0, 0, 1, 0, 0));

    /// <summary>The kernel's scalars for one product (<paramref name="count"/> batches; <paramref name="sum"/>: one C receives their sum).</summary>
    internal static GemmShape Shape(int m, int n, int k, int transposeA, int transposeB, float alpha, float beta, int strideA, int strideB, int strideC, int count, int sum, int hasBias) =>
        new(m, n, k, transposeA, transposeB, alpha, beta, strideA, strideB, strideC, count, sum, hasBias, sum != 0 ? 1 : count, 1, Math.Max(k, 1));

    /// <summary>
    /// Launches the GEMM for <paramref name="shape"/> (also used by <c>linear</c> and <c>batched-gemm</c>); nothing for an
    /// empty C. A big product runs the large-tile kernel (8×8 outputs per thread). When the tiles alone would leave most
    /// of the device idle (few, long dot products: the weight gradients
    /// reduce over all rows of the batch), K is split into ranges of at least <see cref="MinKPerSplit"/> that run as
    /// separate groups and are folded, in split order, by a second launch. The split count depends only on the shape
    /// and the device, so results stay bit-identical from call to call.
    /// </summary>
    internal static void Enqueue(GpuBackend backend, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmShape shape)
    {
        var g = backend.Geometry;
        int tileM = 4 * g.TileY, tileN = 4 * g.TileX;
        if (shape.M == 0 || shape.N == 0 || shape.ZCount == 0)
        {
            return;
        }

        // Big products: the 8×8-per-thread kernel, when its larger tiles alone fill the device and are not mostly padding.
        int largeX = (shape.N + (2 * tileN) - 1) / (2 * tileN), largeY = (shape.M + (2 * tileM) - 1) / (2 * tileM);
        if (g.LargeGemm && shape.M >= 2 * tileM && shape.N >= 2 * tileN && (long)largeX * largeY * shape.ZCount >= g.TargetGroups)
        {
            var large = new KernelConfig(new Index3D(largeX, largeY, shape.ZCount), new Index3D(g.TileX, g.TileY, 1));
            backend.Kernels.GemmLarge(backend.Stream, large, a, b, c, bias, shape);
            return;
        }

        int tilesX = (shape.N + tileN - 1) / tileN, tilesY = (shape.M + tileM - 1) / tileM;
        long groups = (long)tilesX * tilesY * shape.ZCount;
        var splits = Splits(groups, shape.K, g.GemmKTile, g.TargetGroups);
        if (splits > 1)
        {
            var perSplit = (shape.K + splits - 1) / splits;
            perSplit = (perSplit + g.GemmKTile - 1) / g.GemmKTile * g.GemmKTile;
            splits = (shape.K + perSplit - 1) / perSplit;
            shape = shape with { Splits = splits, KPerSplit = perSplit };
        }

        var config = new KernelConfig(new Index3D(tilesX, tilesY, shape.ZCount * shape.Splits), new Index3D(g.TileX, g.TileY, 1));
        if (shape.Splits == 1)
        {
            backend.Kernels.Gemm(backend.Stream, config, a, b, c, bias, c, shape);
            return;
        }

        var elements = shape.ZCount * shape.M * shape.N;
        var partial = backend.RentScratch(shape.Splits * elements);
        try
        {
            var sums = partial.Floats(shape.Splits * elements);
            backend.Kernels.Gemm(backend.Stream, config, a, b, c, bias, sums, shape);
            backend.Kernels.GemmReduceSplits(backend.Stream, g.Linear(elements), sums, c, bias, shape);
        }
        finally
        {
            backend.ReturnScratch(partial);
        }
    }

    /// <summary>How many K splits a GEMM of <paramref name="groups"/> tile groups and inner size <paramref name="k"/> gets (1: none).</summary>
    internal static int Splits(long groups, int k, int kTile, int targetGroups)
    {
        if (groups >= targetGroups || k < 2 * MinKPerSplit)
        {
            return 1;
        }

        var wanted = (int)Math.Min(MaxSplits, (targetGroups + groups - 1) / groups);
        return Math.Clamp(Math.Min(wanted, k / Math.Max(MinKPerSplit, kTile)), 1, MaxSplits);
    }
}
