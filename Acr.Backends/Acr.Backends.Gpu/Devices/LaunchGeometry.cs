using ILGPU.Runtime.CPU;
using ILGPU.Runtime.OpenCL;

namespace Acr.Backends.Gpu.Devices;

/// <summary>
/// How kernels are launched on one accelerator. Element-wise and row kernels are grid-stride loops over at most
/// <see cref="MaxGroups"/> groups of <see cref="GroupSize"/> threads. The kernels with shared memory take their group
/// shape from a compile-time <see cref="IKernelShape"/> (<see cref="DeviceKernelShape"/>, or <see cref="SimulatorKernelShape"/>
/// on ILGPU's CPU simulator, where every simulated thread is an OS thread and a barrier is slow); the fields here repeat
/// it for the launches. Results do not depend on the grid: every reduction runs in an order fixed by the shape.
/// </summary>
/// <param name="GroupSize">Threads per group of the one-dimensional kernels.</param>
/// <param name="MaxGroups">Most groups a grid-stride launch uses.</param>
/// <param name="TileX">GEMM group width (threads); the tile has 4·TileX columns.</param>
/// <param name="TileY">GEMM group height (threads); the tile has 4·TileY rows.</param>
/// <param name="GemmKTile">The GEMM's K tile.</param>
/// <param name="ReductionGroupSize">Threads of the one-group tree reductions (a power of two).</param>
/// <param name="NormColumns">Channels per batch-norm group.</param>
/// <param name="NormLanes">Row lanes per batch-norm group.</param>
/// <param name="TargetGroups">Groups that keep the device busy: a GEMM with fewer tiles splits K.</param>
/// <param name="LargeGemm">
/// Whether big GEMMs take the large-tile kernel (8×8 outputs per thread): on GPUs and on the simulator (where it is
/// conformance-tested), not on OpenCL CPU devices such as POCL, whose work-item loops keep the 64 accumulators in memory
/// across barriers (a 1024³ SGEMM there ran at 0.8 GFLOP/s with it, about 3 with the 4×4 kernel at the same load).
/// </param>
internal sealed record LaunchGeometry(int GroupSize, int MaxGroups, int TileX, int TileY, int GemmKTile, int ReductionGroupSize,
    int NormColumns, int NormLanes, int TargetGroups, bool LargeGemm)
{
    /// <summary>Whether <paramref name="accelerator"/> takes the simulator's kernel shapes.</summary>
    public static bool IsSimulator(Accelerator accelerator) => accelerator is CPUAccelerator;

    /// <summary>The geometry for <paramref name="accelerator"/>.</summary>
    public static LaunchGeometry For(Accelerator accelerator)
    {
        if (IsSimulator(accelerator))
        {
            var threads = accelerator.MaxNumThreadsPerGroup;
            return Of<SimulatorKernelShape>(threads, accelerator.NumMultiprocessors, 2 * accelerator.NumMultiprocessors, largeGemm: true);
        }

        var group = Math.Min(256, accelerator.MaxNumThreadsPerGroup);
        var perMultiprocessor = Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / group);
        var multiprocessors = Math.Max(1, accelerator.NumMultiprocessors);
        var cpuDevice = accelerator is CLAccelerator cl && (cl.DeviceType & CLDeviceType.CL_DEVICE_TYPE_CPU) != 0;
        return Of<DeviceKernelShape>(group, multiprocessors * perMultiprocessor, 4 * multiprocessors, largeGemm: !cpuDevice);
    }

    /// <summary>A grid-stride launch over <paramref name="work"/> items (at least one group).</summary>
    /// <param name="work">Number of items.</param>
    public KernelConfig Linear(long work)
    {
        var groups = (int)Math.Clamp((work + GroupSize - 1) / GroupSize, 1, MaxGroups);
        return new KernelConfig(groups, GroupSize);
    }

    private static LaunchGeometry Of<TShape>(int groupSize, int maxGroups, int targetGroups, bool largeGemm)
        where TShape : struct, IKernelShape
    {
        var s = default(TShape);
        return new LaunchGeometry(groupSize, maxGroups, s.GemmThreadsX, s.GemmThreadsY, s.GemmKTile, s.ReductionThreads, s.NormColumns, s.NormLanes, targetGroups, largeGemm);
    }
}
