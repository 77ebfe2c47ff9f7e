using ILGPU.Runtime.CPU;

namespace Acr.Backends.Gpu.Devices;

/// <summary>
/// How kernels are launched on one accelerator. Element-wise and row kernels are grid-stride loops over at most
/// <see cref="MaxGroups"/> groups of <see cref="GroupSize"/> threads; the tiled GEMM uses <see cref="TileX"/>×<see cref="TileY"/>
/// threads, each computing 4×4 outputs, over K tiles of <see cref="GemmKTile"/>. On ILGPU's CPU simulator every simulated
/// thread is an OS thread and a barrier costs about half a millisecond, so groups are small and K tiles long there.
/// Results do not depend on the geometry: every reduction runs in a fixed order per output.
/// </summary>
/// <param name="GroupSize">Threads per group of the one-dimensional kernels.</param>
/// <param name="MaxGroups">Most groups a grid-stride launch uses.</param>
/// <param name="TileX">GEMM group width (threads); the tile has 4·TileX columns.</param>
/// <param name="TileY">GEMM group height (threads); the tile has 4·TileY rows.</param>
/// <param name="GemmKTile">The GEMM's K tile.</param>
/// <param name="ReductionGroupSize">Threads of the one-group tree reductions (a power of two).</param>
internal sealed record LaunchGeometry(int GroupSize, int MaxGroups, int TileX, int TileY, int GemmKTile, int ReductionGroupSize)
{
    /// <summary>The geometry for <paramref name="accelerator"/>.</summary>
    public static LaunchGeometry For(Accelerator accelerator)
    {
        if (accelerator is CPUAccelerator)
        {
            var threads = accelerator.MaxNumThreadsPerGroup;
            var tile = (int)Math.Sqrt(threads);
            return new LaunchGeometry(threads, accelerator.NumMultiprocessors, tile, threads / tile, 32, HighestPowerOfTwo(threads));
        }

        var group = Math.Min(256, accelerator.MaxNumThreadsPerGroup);
        var perMultiprocessor = Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / group);
        var side = group >= 256 ? 16 : 8;
        return new LaunchGeometry(group, Math.Max(1, accelerator.NumMultiprocessors * perMultiprocessor), side, side, 16, HighestPowerOfTwo(group));
    }

    /// <summary>A grid-stride launch over <paramref name="work"/> items (at least one group).</summary>
    /// <param name="work">Number of items.</param>
    public KernelConfig Linear(long work)
    {
        var groups = (int)Math.Clamp((work + GroupSize - 1) / GroupSize, 1, MaxGroups);
        return new KernelConfig(groups, GroupSize);
    }

    private static int HighestPowerOfTwo(int n)
    {
        var p = 1;
        while (p * 2 <= n)
        {
            p *= 2;
        }

        return p;
    }
}
