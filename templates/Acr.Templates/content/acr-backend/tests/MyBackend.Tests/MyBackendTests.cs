using Acr.Compute;
using Acr.Plugins;
using Acr.Testing;
using MyBackend;

namespace MyBackend.Tests;

/// <summary>
/// Acr's own conformance suite (Acr.Testing), as the built-in backends run it: every op of the contract against its
/// scalar reference on the op's own samples, memory and stream semantics, contract identities and argument rules.
/// This backend has a kernel for relu only, so the others must run on the host, which the suite checks too.
/// </summary>
public sealed class MyBackendConformanceTests() : BackendConformanceSuite(() => new MyBackendBackend())
{
    protected override bool HasKernelForEveryOp => false;
}

/// <summary>Acr's finite-difference gradient checks of every differentiable op, on this backend.</summary>
public sealed class MyBackendGradientTests() : GradientCheckSuite(() => new MyBackendBackend());

/// <summary>What is particular to this backend: which ops have its kernel, and the provider's rules.</summary>
public sealed class MyBackendTests : IDisposable
{
    private static readonly IReadOnlyList<ComputeOp> ContractOps = ComputeOp.Discover(typeof(ComputeOp).Assembly);
    private readonly MyBackendBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void Relu_runs_this_backends_kernel_and_the_other_ops_the_reference()
    {
        Assert.Equal(KernelSupport.Kernel, _backend.Support(ReluOp.Instance));
        Assert.All(ContractOps.Where(o => o.Name != ReluOp.Instance.Name), o => Assert.Equal(KernelSupport.ReferenceOnHost, _backend.Support(o)));
    }

    [Fact]
    public void The_plugin_registers_a_provider_with_one_usable_device_that_refuses_options()
    {
        var registry = new RecordingRegistry();
        new MyBackendPlugin().Register(registry);
        var provider = Assert.Single(registry.Backends);
        Assert.Equal("MY_BACKEND_NAME", provider.Name);
        var device = Assert.Single(provider.Devices);
        Assert.True(device.IsUsable, device.Reason);
        using (var backend = provider.Create(device))
        {
            Assert.Equal(provider.Name, backend.Name);
        }

        Assert.Throws<ArgumentException>(() => provider.Create(device, new Dictionary<string, string> { ["threads"] = "2" }));
        Assert.Throws<ArgumentException>(() => provider.Create(device with { Index = 1 }));
    }

    private sealed class RecordingRegistry : IPluginRegistry
    {
        public List<IBackendProvider> Backends { get; } = [];

        public void AddDetector(Acr.Detectors.IDetector detector) => throw new InvalidOperationException("a backend plugin registers no detector");

        public void AddBackend(IBackendProvider provider) => Backends.Add(provider);

        public void AddOp(ComputeOp op) => throw new InvalidOperationException("this plugin registers no op");

        public void AddKernel<TArgs>(string backend, ComputeOp<TArgs> op, Func<ComputeBackend, IKernel<TArgs>> factory)
            where TArgs : struct => throw new InvalidOperationException("this plugin registers no kernel");
    }
}
