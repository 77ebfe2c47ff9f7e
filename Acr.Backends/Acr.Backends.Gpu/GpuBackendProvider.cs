using System.Globalization;
using Acr.Backends.Gpu.Devices;

namespace Acr.Backends.Gpu;

/// <summary>
/// Provides the backend of one ILGPU accelerator type: <c>cuda</c>, <c>opencl</c> or <c>ilgpu-cpu</c>. Lists every device
/// ILGPU finds of that type with its name, memory, compute capability or OpenCL version, driver and ILGPU's verdict; a
/// missing driver or a device ILGPU refuses is an unusable device with the reason, never an exception.
/// Options: <c>poison</c> (<c>true</c>/<c>false</c>: fill every new allocation with NaN, which finds code that reads memory
/// it never wrote) and <c>memory-limit-mib</c> (an integer ≥ 1: the most device memory the backend may hold, so a run can be
/// kept to a share of a GPU; beyond it allocations fail with <see cref="GpuOutOfMemoryException"/>).
/// </summary>
public sealed class GpuBackendProvider : IBackendProvider
{
    /// <summary>The option that fills new allocations with NaN.</summary>
    public const string PoisonOption = "poison";

    /// <summary>The option that caps the backend's device memory, in MiB.</summary>
    public const string MemoryLimitOption = "memory-limit-mib";

    private static readonly string[] ValidOptions = [PoisonOption, MemoryLimitOption];
    private readonly GpuPlatform _platform;

    /// <summary>Creates the provider of one accelerator type.</summary>
    /// <param name="kind">The accelerator type.</param>
    public GpuBackendProvider(GpuAcceleratorKind kind)
    {
        Kind = kind;
        _platform = GpuPlatform.Of(kind);
    }

    /// <summary>The accelerator type.</summary>
    public GpuAcceleratorKind Kind { get; }

    /// <inheritdoc />
    public string Name => _platform.BackendName;

    /// <inheritdoc />
    public string Description => Kind switch
    {
        GpuAcceleratorKind.Cuda => "NVIDIA GPUs through the CUDA driver, kernels compiled to PTX by ILGPU 1.5.",
        GpuAcceleratorKind.OpenCL => "OpenCL 2.0/3.0 devices (generic address space) through ILGPU 1.5.",
        _ => "ILGPU's CPU accelerator: the GPU kernels on a functional simulator (for testing; slow).",
    };

    /// <inheritdoc />
    public IReadOnlyList<DeviceDescriptor> Devices
    {
        get
        {
            try
            {
                return _platform.Devices;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A driver that misbehaves while probing is still only a state.
                return [new DeviceDescriptor(Name, 0, "ILGPU", false, $"probing the {Name} devices failed: {e.GetBaseException().Message}", new Dictionary<string, string>())];
            }
        }
    }

    /// <inheritdoc />
    public MissingKernelPolicy MissingKernelPolicy => MissingKernelPolicy.RunReferenceOnHost;

    /// <inheritdoc />
    public ComputeBackend Create(DeviceDescriptor device, IReadOnlyDictionary<string, string>? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!string.Equals(device.Backend, Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The {Name} provider cannot create a backend on {device.Id}, a device of another backend.", nameof(device));
        }

        var known = Devices;
        var found = known.FirstOrDefault(d => d.Index == device.Index)
            ?? throw new ArgumentException($"The {Name} backend has no device {device.Index}; it found: {string.Join(", ", known.Select(d => d.Id))}. Run 'acr devices'.", nameof(device));
        if (!found.IsUsable)
        {
            throw new InvalidOperationException($"Device {found.Id} ({found.Name}) is not usable: {found.Reason}");
        }

        var poison = false;
        long? limit = null;
        foreach (var (key, value) in options ?? new Dictionary<string, string>())
        {
            if (string.Equals(key, PoisonOption, StringComparison.OrdinalIgnoreCase))
            {
                if (!bool.TryParse(value, out poison))
                {
                    throw new ArgumentException($"The {Name} backend option '{PoisonOption}' must be true or false; got '{value}'.", nameof(options));
                }
            }
            else if (string.Equals(key, MemoryLimitOption, StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var mib) || mib < 1)
                {
                    throw new ArgumentException($"The {Name} backend option '{MemoryLimitOption}' must be an integer of at least 1 (MiB); got '{value}'.", nameof(options));
                }

                limit = mib << 20;
            }
            else
            {
                throw new ArgumentException($"Unknown {Name} backend option '{key}'. Valid options: {string.Join(", ", ValidOptions)}.", nameof(options));
            }
        }

        return new GpuBackend(_platform.Open(found.Index), poison, limit);
    }

    /// <summary>A backend on ILGPU's CPU accelerator (tests and benchmarks: the memory limit in bytes, not MiB).</summary>
    internal static GpuBackend CreateSimulated(bool poison = false, long? memoryLimitBytes = null) =>
        new(GpuPlatform.Of(GpuAcceleratorKind.Cpu).Open(0), poison, memoryLimitBytes);
}
