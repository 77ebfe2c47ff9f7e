using System.Diagnostics;
using System.Globalization;

namespace Acr.Backends.Gpu.Devices;

/// <summary>
/// One opened device, shared by every <see cref="GpuBackend"/> created on it in this process: the ILGPU
/// <see cref="Accelerator"/>, the launch geometry chosen for it and every kernel, loaded and compiled once, when the
/// device is opened. Backends own their streams and memory; launches from all of them are serialised by <see cref="Sync"/>.
/// </summary>
internal sealed class GpuDevice
{
    private long _allocatedBytes;

    public GpuDevice(GpuPlatform platform, DeviceDescriptor descriptor, Accelerator accelerator)
    {
        Platform = platform;
        Accelerator = accelerator;
        Geometry = LaunchGeometry.For(accelerator);
        var clock = Stopwatch.StartNew();
        using (accelerator.BindScoped())
        {
            Kernels = new GpuKernelSet(accelerator);
        }

        CompileTime = clock.Elapsed;
        var properties = new Dictionary<string, string>(descriptor.Properties)
        {
            ["kernels"] = Kernels.Count.ToString(CultureInfo.InvariantCulture),
            ["kernelCompileMs"] = CompileTime.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture),
            ["groupSize"] = Geometry.GroupSize.ToString(CultureInfo.InvariantCulture),
            ["gemmTile"] = $"{4 * Geometry.TileY}x{4 * Geometry.TileX}x{Geometry.GemmKTile}",
            ["largeGemmTile"] = Geometry.LargeGemm ? $"{8 * Geometry.TileY}x{8 * Geometry.TileX}" : "off",
            ["batchNormGroup"] = $"{Geometry.NormColumns} channels x {Geometry.NormLanes} lanes",
        };
        Descriptor = descriptor with { Properties = properties };
    }

    /// <summary>The platform the device belongs to.</summary>
    public GpuPlatform Platform { get; }

    /// <summary>The device, with the facts learnt when it was opened (kernel count, compile time, geometry).</summary>
    public DeviceDescriptor Descriptor { get; }

    /// <summary>The ILGPU accelerator.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Group sizes and tiles for this accelerator.</summary>
    public LaunchGeometry Geometry { get; }

    /// <summary>Every kernel, compiled.</summary>
    public GpuKernelSet Kernels { get; }

    /// <summary>How long loading and compiling every kernel took.</summary>
    public TimeSpan CompileTime { get; }

    /// <summary>Held while work is enqueued on any stream of this device (ILGPU objects are not thread-safe).</summary>
    public Lock Sync { get; } = new();

    /// <summary>Device memory held by all backends' pools on this device, in bytes.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>Records an allocation (positive) or a free (negative).</summary>
    public void Account(long bytes) => Interlocked.Add(ref _allocatedBytes, bytes);

    /// <summary>Makes the accelerator current on this thread (CUDA binds its context per thread).</summary>
    public void Bind()
    {
        if (!ReferenceEquals(Accelerator.Current, Accelerator))
        {
            Accelerator.Bind();
        }
    }
}
