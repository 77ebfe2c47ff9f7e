using Acr.Autograd;
using Acr.Compute;
using Acr.Plugins;
using MyBackend;

namespace MyBackend.Tests;

/// <summary>
/// The backend the way Acr tests its own: every op of the contract against the scalar reference on the op's own
/// samples, every differentiable op's gradient against central finite differences, and the provider's rules.
/// </summary>
public sealed class MyBackendTests : IDisposable
{
    private static readonly IReadOnlyList<ComputeOp> ContractOps = ComputeOp.Discover(typeof(ComputeOp).Assembly);
    private static readonly IReadOnlyList<GradientRule> ContractRules = GradientRule.Discover(typeof(GradientRule).Assembly);
    private readonly MyBackendBackend _backend = new();

    public static TheoryData<string> OpNames() => [.. ContractOps.Select(o => o.Name)];

    public static TheoryData<string> RuleNames() => [.. ContractRules.Select(r => r.Name)];

    public void Dispose() => _backend.Dispose();

    [Theory]
    [MemberData(nameof(OpNames))]
    public void Op_matches_the_scalar_reference_on_every_sample(string op)
    {
        var report = ContractOps.Single(o => o.Name == op).CheckConformance(_backend);
        Assert.True(report.Passed, $"{op} on {_backend.Name}: {report.Samples} samples; {string.Join("; ", report.Failures)}");
    }

    [Theory]
    [MemberData(nameof(RuleNames))]
    public void Analytic_gradient_matches_finite_differences(string rule)
    {
        var checks = ContractRules.Single(r => r.Name == rule).GradientChecks().ToArray();
        Assert.NotEmpty(checks);
        foreach (var check in checks)
        {
            var result = GradientChecker.Run(_backend, check);
            Assert.True(result.Passed, $"{rule} [{check.Name}]: gradient mismatch at {result.Where} (excess {result.Excess:G3})");
        }
    }

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
