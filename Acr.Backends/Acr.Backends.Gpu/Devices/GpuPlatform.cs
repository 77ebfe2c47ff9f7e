using System.Globalization;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Acr.Backends.Gpu.Devices;

/// <summary>
/// One ILGPU accelerator type in this process: one ILGPU <see cref="Context"/> (created on first use and kept for the
/// process, so each driver is initialised once), the devices it found — every one, with ILGPU's verdict — and one
/// <see cref="GpuDevice"/> per device opened, shared by every backend created on it (kernels compile once per process).
/// A missing driver or an unusable device is a state: it is listed with its reason and never throws.
/// </summary>
internal sealed class GpuPlatform
{
    private static readonly GpuPlatform[] Platforms = [.. Enum.GetValues<GpuAcceleratorKind>().Select(k => new GpuPlatform(k))];

    private readonly Lazy<Probe> _probe;
    private readonly Lock _sync = new();
    private readonly Dictionary<int, GpuDevice> _open = [];

    private GpuPlatform(GpuAcceleratorKind kind)
    {
        Kind = kind;
        _probe = new Lazy<Probe>(Discover, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The accelerator type.</summary>
    public GpuAcceleratorKind Kind { get; }

    /// <summary>The backend name users select.</summary>
    public string BackendName => NameOf(Kind);

    /// <summary>Every device found, usable or not (probed once, on first access).</summary>
    public IReadOnlyList<DeviceDescriptor> Devices => _probe.Value.Descriptors;

    /// <summary>The platform of <paramref name="kind"/>.</summary>
    public static GpuPlatform Of(GpuAcceleratorKind kind) => Platforms[(int)kind];

    /// <summary>The backend name of an accelerator type.</summary>
    public static string NameOf(GpuAcceleratorKind kind) => kind switch
    {
        GpuAcceleratorKind.Cuda => "cuda",
        GpuAcceleratorKind.OpenCL => "opencl",
        _ => "ilgpu-cpu",
    };

    /// <summary>
    /// The ILGPU CPU accelerator's simulated device: 4-thread warps, groups of 16 threads, one multiprocessor (one OS
    /// thread per simulated thread) per core up to 4. Small groups keep the simulator's barriers cheap.
    /// </summary>
    public static CPUDevice SimulatedDevice { get; } = new(4, 4, Math.Clamp(Environment.ProcessorCount, 1, 4));

    /// <summary>The shared runtime of usable device <paramref name="index"/>, opened (accelerator and kernels) on first use.</summary>
    /// <param name="index">The device index.</param>
    /// <exception cref="InvalidOperationException">The device is not usable; the message gives the reason.</exception>
    public GpuDevice Open(int index)
    {
        var probe = _probe.Value;
        var descriptor = probe.Descriptors.FirstOrDefault(d => d.Index == index)
            ?? throw new ArgumentOutOfRangeException(nameof(index), index, $"Backend '{BackendName}' has no device {index}; it found: {string.Join(", ", probe.Descriptors.Select(d => d.Id))}.");
        if (!descriptor.IsUsable || probe.Context is null)
        {
            throw new InvalidOperationException($"Device {descriptor.Id} ({descriptor.Name}) is not usable: {descriptor.Reason}");
        }

        lock (_sync)
        {
            if (!_open.TryGetValue(index, out var device))
            {
                device = new GpuDevice(this, descriptor, probe.Devices[index].CreateAccelerator(probe.Context));
                _open.Add(index, device);
            }

            return device;
        }
    }

    private Probe Discover()
    {
        NativeDrivers.EnsureResolver();
        return Kind switch
        {
            GpuAcceleratorKind.Cuda => DiscoverCuda(),
            GpuAcceleratorKind.OpenCL => DiscoverOpenCL(),
            _ => DiscoverCpu(),
        };
    }

    private Probe DiscoverCpu()
    {
        var context = Context.Create(b => b.CPU(SimulatedDevice).EnableAlgorithms());
        var device = context.GetCPUDevice(0);
        var properties = Common(device);
        properties["simulatedThreads"] = device.NumThreads.ToString(CultureInfo.InvariantCulture);
        properties["ilgpu"] = "supported (functional simulator: one OS thread per simulated thread)";
        return new Probe(context, [device], [new DeviceDescriptor(BackendName, 0, "ILGPU CPU accelerator", true, null, properties)]);
    }

    private Probe DiscoverCuda()
    {
        if (NativeDrivers.TryLoadAny(NativeDrivers.CudaLibraries) is not { } library)
        {
            return Unavailable("CUDA driver", $"no CUDA driver ({NativeDrivers.CudaLibraries[0]} not found)");
        }

        if (!CudaAPI.CurrentAPI.IsSupported)
        {
            return Unavailable("CUDA driver", $"the CUDA driver ({library}) did not initialise: no GPU visible to this process, or the driver library does not match the kernel module{ResolverNote()}");
        }

        var count = 0;
        CudaError error;
        try
        {
            error = CudaAPI.CurrentAPI.GetDeviceCount(out count);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or AcceleratorException or TypeInitializationException)
        {
            return Unavailable("CUDA driver", $"the CUDA driver failed to initialise: {e.Message}");
        }

        if (error != CudaError.CUDA_SUCCESS)
        {
            return Unavailable("CUDA driver", $"the CUDA driver reports {error} (no usable GPU, or the driver does not match the kernel module)");
        }

        if (count == 0)
        {
            return Unavailable("CUDA driver", "the CUDA driver found no GPU");
        }

        // Every device, ILGPU's verdict computed here (its default filter would hide the ones it refuses).
        var context = Context.Create(b => b.Cuda(_ => true).EnableAlgorithms());
        var devices = Collect(context.GetCudaDevices());
        var descriptors = new DeviceDescriptor[devices.Length];
        for (var i = 0; i < devices.Length; i++)
        {
            var d = (CudaDevice)devices[i];
            var properties = Common(d);
            properties["computeCapability"] = d.Architecture is { } arch ? $"{arch.Major}.{arch.Minor}" : "unknown";
            properties["ptxIsa"] = d.InstructionSet is { } isa ? $"{isa.Major}.{isa.Minor}" : "none";
            properties["driverVersion"] = $"{d.DriverVersion.Major}.{d.DriverVersion.Minor}";
            string? reason = null;
            if (d.Architecture is null)
            {
                reason = "unknown architecture (ILGPU knows no PTX target for it)";
            }
            else if (d.InstructionSet is not { } set || !PTXCodeGenerator.SupportedInstructionSets.Contains(set))
            {
                reason = $"CUDA driver {d.DriverVersion.Major}.{d.DriverVersion.Minor} offers no PTX ISA that ILGPU supports for sm_{d.Architecture.Value.Major}{d.Architecture.Value.Minor}";
            }

            properties["ilgpu"] = reason is null ? "supported" : "refused: " + reason;
            descriptors[i] = new DeviceDescriptor(BackendName, i, d.Name, reason is null, reason, properties);
        }

        return new Probe(context, devices, descriptors);
    }

    private Probe DiscoverOpenCL()
    {
        if (NativeDrivers.TryLoadAny(NativeDrivers.OpenClLibraries) is not { } library)
        {
            return Unavailable("OpenCL", $"no OpenCL ICD loader ({NativeDrivers.OpenClLibraries[0]} not found)");
        }

        if (!CLAPI.CurrentAPI.IsSupported)
        {
            // The ICD loader answers but finds no platform: no vendor driver is registered.
            return Unavailable("OpenCL", $"the OpenCL ICD loader ({library}) found no OpenCL platform: no driver is installed ({NativeDrivers.OpenClVendorsNote()}){ResolverNote()}");
        }

        Context context;
        try
        {
            context = Context.Create(b => b.OpenCL(_ => true).EnableAlgorithms());
        }
        catch (Exception e) when (e is AcceleratorException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return Unavailable("OpenCL", $"OpenCL failed to initialise: {e.Message}");
        }

        var devices = Collect(context.GetCLDevices());
        if (devices.Length == 0)
        {
            context.Dispose();
            return Unavailable("OpenCL", "no OpenCL platform or device (install a driver, e.g. an ICD such as pocl-opencl-icd)");
        }

        var descriptors = new DeviceDescriptor[devices.Length];
        for (var i = 0; i < devices.Length; i++)
        {
            var d = (CLDevice)devices[i];
            var properties = Common(d);
            properties["platform"] = d.PlatformName;
            properties["vendor"] = d.VendorName;
            properties["deviceVersion"] = d.DeviceVersion.ToString();
            properties["openclC"] = d.CLStdVersion.ToString();
            properties["genericAddressSpace"] = d.Capabilities.GenericAddressSpace ? "yes" : "no";
            properties["fp64"] = d.Capabilities.Float64 ? "yes" : "no";
            string? reason = null;
            if (d.CLStdVersion < CLCVersion.CL20)
            {
                reason = $"OpenCL C {d.CLStdVersion} is older than 2.0, which ILGPU needs";
            }
            else if (!d.Capabilities.GenericAddressSpace)
            {
                reason = "OpenCL without generic address space (ILGPU needs OpenCL 2.0, or 3.0 with generic address space)";
            }
            else if (!d.Capabilities.Float64)
            {
                reason = "no double precision (cl_khr_fp64): the backend's reductions accumulate in double";
            }
            else if (d.MaxNumThreadsPerGroup < DeviceKernelShape.GroupThreads)
            {
                reason = $"work-groups of at most {d.MaxNumThreadsPerGroup} threads; the kernels use {DeviceKernelShape.GroupThreads}";
            }
            else if (d.MaxSharedMemoryPerGroup < DeviceKernelShape.SharedBytes)
            {
                reason = $"{d.MaxSharedMemoryPerGroup} bytes of local memory per work-group; the kernels use {DeviceKernelShape.SharedBytes}";
            }

            properties["ilgpu"] = reason is null ? "supported" : "refused: " + reason;
            descriptors[i] = new DeviceDescriptor(BackendName, i, d.Name, reason is null, reason, properties);
        }

        return new Probe(context, devices, descriptors);
    }

    private Probe Unavailable(string name, string reason) =>
        new(null, [], [new DeviceDescriptor(BackendName, 0, name, false, reason, new Dictionary<string, string>())]);

    private static Device[] Collect<TDevice>(Context.DeviceCollection<TDevice> collection)
        where TDevice : Device
    {
        var devices = new List<Device>();
        foreach (var device in collection)
        {
            devices.Add(device);
        }

        return [.. devices];
    }

    private static string ResolverNote() => NativeDrivers.ResolverProblem is { } problem ? $" (the library resolver could not be installed: {problem})" : string.Empty;

    private static Dictionary<string, string> Common(Device d) => new()
    {
        ["memoryMiB"] = d.MemorySize >= long.MaxValue / 2 ? "host" : (d.MemorySize >> 20).ToString(CultureInfo.InvariantCulture),
        ["multiprocessors"] = d.NumMultiprocessors.ToString(CultureInfo.InvariantCulture),
        ["warpSize"] = d.WarpSize.ToString(CultureInfo.InvariantCulture),
        ["maxGroupSize"] = d.MaxNumThreadsPerGroup.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>What probing found: the context (null when the driver is missing), ILGPU's devices and their descriptors.</summary>
    private sealed record Probe(Context? Context, Device[] Devices, DeviceDescriptor[] Descriptors);
}
