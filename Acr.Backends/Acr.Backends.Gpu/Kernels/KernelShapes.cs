namespace Acr.Backends.Gpu.Kernels;

/// <summary>
/// The compile-time group shapes of the kernels that use shared memory, as a struct type argument: ILGPU specialises
/// a generic kernel per struct and folds these properties to constants, so shared memory is allocated statically
/// (<c>SharedMemory.Allocate</c> with a constant length, a <c>local</c> array inside the OpenCL kernel). Dynamic shared
/// memory is not used anywhere: ILGPU 1.5.3's OpenCL backend keeps its pointer in a program-scope variable that every
/// work-group assigns, so concurrently running groups (POCL runs one per core) read each other's tiles.
/// </summary>
internal interface IKernelShape
{
    /// <summary>GEMM group width in threads; the tile has 4·<see cref="GemmThreadsX"/> columns.</summary>
    int GemmThreadsX { get; }

    /// <summary>GEMM group height in threads; the tile has 4·<see cref="GemmThreadsY"/> rows.</summary>
    int GemmThreadsY { get; }

    /// <summary>The GEMM's K tile.</summary>
    int GemmKTile { get; }

    /// <summary>Floats of shared memory of one GEMM group: KTile·(4·TY + 4·TX).</summary>
    int GemmSharedFloats { get; }

    /// <summary>The K tile of the large-tile GEMM (8×8 outputs per thread).</summary>
    int LargeGemmKTile { get; }

    /// <summary>Floats of shared memory of one large-tile GEMM group: LargeKTile·(8·TY + 8·TX).</summary>
    int LargeGemmSharedFloats { get; }

    /// <summary>Channels per batch-norm group (the group's x dimension: neighbouring threads read neighbouring columns).</summary>
    int NormColumns { get; }

    /// <summary>Row lanes per batch-norm group (y): each lane takes every <see cref="NormLanes"/>-th row of the segment.</summary>
    int NormLanes { get; }

    /// <summary>NormColumns·NormLanes.</summary>
    int NormThreads { get; }

    /// <summary>Threads of the one-group tree reduction of the ACR objective (a power of two).</summary>
    int ReductionThreads { get; }
}

/// <summary>
/// Shapes for GPUs and OpenCL devices: 16×16-thread GEMM groups (64×64 tiles with K tiles of 16, or 128×128 with K tiles
/// of 8 for the large-tile kernel), 32 channels × 8 lanes of batch norm.
/// </summary>
internal readonly struct DeviceKernelShape : IKernelShape
{
    /// <summary>The most threads any of these kernels' groups has.</summary>
    public static int GroupThreads
    {
        get
        {
            var s = default(DeviceKernelShape);
            return Math.Max(s.GemmThreadsX * s.GemmThreadsY, Math.Max(s.NormThreads, s.ReductionThreads));
        }
    }

    /// <summary>The most shared memory any of these kernels' groups allocates, in bytes.</summary>
    public static int SharedBytes
    {
        get
        {
            var s = default(DeviceKernelShape);
            return Math.Max(4 * Math.Max(s.GemmSharedFloats, s.LargeGemmSharedFloats), Math.Max(2 * 8 * s.NormThreads, 8 * s.ReductionThreads));
        }
    }

    /// <inheritdoc />
    public int GemmThreadsX => 16;

    /// <inheritdoc />
    public int GemmThreadsY => 16;

    /// <inheritdoc />
    public int GemmKTile => 16;

    /// <inheritdoc />
    public int GemmSharedFloats => 16 * ((4 * 16) + (4 * 16));

    /// <inheritdoc />
    public int LargeGemmKTile => 8;

    /// <inheritdoc />
    public int LargeGemmSharedFloats => 8 * ((8 * 16) + (8 * 16));

    /// <inheritdoc />
    public int NormColumns => 32;

    /// <inheritdoc />
    public int NormLanes => 8;

    /// <inheritdoc />
    public int NormThreads => 32 * 8;

    /// <inheritdoc />
    public int ReductionThreads => 256;
}

/// <summary>
/// Shapes for ILGPU's CPU simulator, where every simulated thread is an OS thread and a barrier is slow: 4×4-thread GEMM
/// groups with K tiles of 32 (32×32 tiles with K tiles of 32 for the large-tile kernel), 8 channels × 2 lanes of batch
/// norm (so the lane combination is exercised there too).
/// </summary>
internal readonly struct SimulatorKernelShape : IKernelShape
{
    /// <inheritdoc />
    public int GemmThreadsX => 4;

    /// <inheritdoc />
    public int GemmThreadsY => 4;

    /// <inheritdoc />
    public int GemmKTile => 32;

    /// <inheritdoc />
    public int GemmSharedFloats => 32 * ((4 * 4) + (4 * 4));

    /// <inheritdoc />
    public int LargeGemmKTile => 32;

    /// <inheritdoc />
    public int LargeGemmSharedFloats => 32 * ((8 * 4) + (8 * 4));

    /// <inheritdoc />
    public int NormColumns => 8;

    /// <inheritdoc />
    public int NormLanes => 2;

    /// <inheritdoc />
    public int NormThreads => 8 * 2;

    /// <inheritdoc />
    public int ReductionThreads => 16;
}
