using System.Runtime.InteropServices;
using Acr.Backends.Gpu.Devices;
using Acr.Compute;
using Acr.Plugins;
using Acr.Tensors;

namespace Acr.Backends.Gpu.Tests;

/// <summary>Providers, devices and their reasons: a missing driver is a state, never an exception.</summary>
public sealed class GpuBackendProviderTests
{
    private static readonly GpuBackendProvider Cuda = new(GpuAcceleratorKind.Cuda);
    private static readonly GpuBackendProvider OpenCL = new(GpuAcceleratorKind.OpenCL);
    private static readonly GpuBackendProvider Simulator = new(GpuAcceleratorKind.Cpu);

    [Fact]
    public void The_plugin_registers_one_provider_per_accelerator_type()
    {
        var registry = new Registry();
        new GpuPlugin().Register(registry);
        Assert.Equal(["cuda", "opencl", "ilgpu-cpu"], registry.Backends.Select(b => b.Name));
        Assert.All(registry.Backends, b => Assert.Equal(MissingKernelPolicy.RunReferenceOnHost, b.MissingKernelPolicy));
    }

    [Fact]
    public void Every_listed_device_is_usable_or_says_why_and_listing_never_throws()
    {
        foreach (var provider in new[] { Cuda, OpenCL, Simulator })
        {
            var devices = provider.Devices;
            Assert.NotEmpty(devices);
            Assert.Same(devices, provider.Devices);
            foreach (var d in devices)
            {
                Assert.Equal(provider.Name, d.Backend);
                Assert.False(string.IsNullOrWhiteSpace(d.Name));
                Assert.Equal(d.IsUsable, d.Reason is null);
                if (!d.IsUsable)
                {
                    Assert.False(string.IsNullOrWhiteSpace(d.Reason));
                }
            }
        }
    }

    [Fact]
    public void Without_a_cuda_driver_the_device_says_so()
    {
        var present = NativeLibrary.TryLoad("libcuda.so.1", out var handle) || NativeLibrary.TryLoad("libcuda.so", out handle);
        if (present)
        {
            NativeLibrary.Free(handle);
            Assert.DoesNotContain(Cuda.Devices, d => d.Reason is { } r && r.StartsWith("no CUDA driver", StringComparison.Ordinal));
            return;
        }

        var device = Assert.Single(Cuda.Devices);
        Assert.False(device.IsUsable);
        Assert.Equal("no CUDA driver (libcuda.so.1 not found)", device.Reason);
        var e = Assert.Throws<InvalidOperationException>(() => Cuda.Create(device));
        Assert.Contains("libcuda.so.1 not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_opencl_driver_the_device_says_which_part_is_missing()
    {
        var loader = NativeLibrary.TryLoad("libOpenCL.so.1", out var handle) || NativeLibrary.TryLoad("libOpenCL.so", out handle);
        if (loader)
        {
            NativeLibrary.Free(handle);
        }

        var unusable = OpenCL.Devices.Where(d => !d.IsUsable).ToArray();
        if (!loader)
        {
            Assert.Equal("no OpenCL ICD loader (libOpenCL.so.1 not found)", Assert.Single(unusable).Reason);
        }
        else if (!Directory.Exists("/etc/OpenCL/vendors") || Directory.GetFiles("/etc/OpenCL/vendors", "*.icd").Length == 0)
        {
            Assert.StartsWith("the OpenCL ICD loader (libOpenCL.so", Assert.Single(unusable).Reason, StringComparison.Ordinal);
            Assert.Contains("found no OpenCL platform", unusable[0].Reason, StringComparison.Ordinal);
        }

        // A device that was found but is refused carries the verdict with its reason among its properties.
        Assert.All(unusable.Where(d => d.Properties.ContainsKey("genericAddressSpace")), d => Assert.Equal("refused: " + d.Reason, d.Properties["ilgpu"]));
    }

    [Fact]
    public void The_simulator_is_always_usable_and_reports_its_kernels_and_their_compile_time()
    {
        var device = Assert.Single(Simulator.Devices);
        Assert.True(device.IsUsable);
        Assert.Equal("ilgpu-cpu:0", device.Id);
        using var backend = (GpuBackend)Simulator.Create(device);
        Assert.Equal("ilgpu-cpu", backend.Name);
        Assert.True(backend.KernelCompileTime > TimeSpan.Zero);
        Assert.True(int.Parse(backend.Device.Properties["kernels"], System.Globalization.CultureInfo.InvariantCulture) >= 28);
        Assert.True(backend.Device.Properties.ContainsKey("kernelCompileMs"));
        Assert.Equal("supported (functional simulator: one OS thread per simulated thread)", backend.Device.Properties["ilgpu"]);
    }

    [Fact]
    public void A_device_index_out_of_range_is_refused_naming_the_devices_found()
    {
        var device = Simulator.Devices[0] with { Index = 5 };
        var e = Assert.Throws<ArgumentException>(() => Simulator.Create(device));
        Assert.Contains("no device 5", e.Message, StringComparison.Ordinal);
        Assert.Contains("ilgpu-cpu:0", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Simulator.Create(Cuda.Devices[0]));
    }

    [Fact]
    public void Options_are_checked()
    {
        var device = Simulator.Devices[0];
        var e = Assert.Throws<ArgumentException>(() => Simulator.Create(device, new Dictionary<string, string> { ["threads"] = "4" }));
        Assert.Contains("poison, memory-limit-mib", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Simulator.Create(device, new Dictionary<string, string> { ["memory-limit-mib"] = "0" }));
        Assert.Throws<ArgumentException>(() => Simulator.Create(device, new Dictionary<string, string> { ["poison"] = "maybe" }));
        using var limited = (GpuBackend)Simulator.Create(device, new Dictionary<string, string> { ["memory-limit-mib"] = "1", ["poison"] = "true" });
        var big = Assert.Throws<GpuOutOfMemoryException>(() => limited.Allocate(TensorShape.Vector(1 << 19)));
        Assert.Equal(2L << 20, big.RequestedBytes);
    }

    private sealed class Registry : IPluginRegistry
    {
        public List<IBackendProvider> Backends { get; } = [];

        public void AddBackend(IBackendProvider provider) => Backends.Add(provider);

        public void AddDetector(Acr.Detectors.IDetector detector) => throw new NotSupportedException();

        public void AddOp(ComputeOp op) => throw new NotSupportedException();

        public void AddKernel<TArgs>(string backend, ComputeOp<TArgs> op, Func<ComputeBackend, IKernel<TArgs>> factory)
            where TArgs : struct => throw new NotSupportedException();
    }
}
