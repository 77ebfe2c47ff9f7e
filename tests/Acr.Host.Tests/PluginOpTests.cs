using Acr.Compute;
using Acr.Detectors;
using Acr.Nn;
using Acr.Testing;

namespace Acr.Host.Tests;

/// <summary>
/// Ops from plugins: the sample's <c>knn.scores</c> op conforms on the CPU with the plugin's kernel, runs its reference
/// on a backend without the kernel (host memory or staged through a device), and is refused, with a message naming the
/// op and the backend, where the backend refuses host fallbacks.
/// </summary>
public class PluginOpTests
{
    private static string SamplePlugin => TestPlugins.BuiltFolder("SamplePlugin");

    [Fact]
    public void The_sample_op_conforms_with_its_cpu_kernel_and_through_the_host_fallback()
    {
        TestPlugins.WithCatalog([.. PluginCatalog.SearchPath(), SamplePlugin], catalog =>
        {
            var op = Assert.Single(catalog.Registry.PluginOps, o => o.Name == "knn.scores");
            using var cpu = catalog.Registry.CreateBackend("cpu");
            Assert.Equal(KernelSupport.Kernel, cpu.Support(op));
            var report = op.CheckConformance(cpu);
            Assert.True(report.Passed, string.Join(Environment.NewLine, report.Failures));
            Assert.True(report.Samples >= 10);

            using var reference = catalog.Registry.CreateBackend("reference");
            Assert.Equal(KernelSupport.ReferenceOnHost, reference.Support(op));
            using var queued = new QueuedDeviceBackend();
            Assert.Equal(KernelSupport.ReferenceOnHost, queued.Support(op));
            Assert.True(op.CheckConformance(queued).Passed);
        });
    }

    [Fact]
    public void A_backend_that_refuses_host_fallback_names_the_op_and_itself()
    {
        TestPlugins.WithCatalog([.. PluginCatalog.SearchPath(), SamplePlugin], catalog =>
        {
            var knn = catalog.Registry.GetDetector("knn-in-batch");
            using var strict = new QueuedDeviceBackend(MissingKernelPolicy.Refuse);
            var op = catalog.Registry.PluginOps.Single(o => o.Name == "knn.scores");
            Assert.Equal(KernelSupport.Unsupported, strict.Support(op));
            using var model = knn.CreateModel(new DetectorModelSpec(3, new Dictionary<string, string> { ["k"] = "2", ["epsilon"] = "1e-5" }, 0), strict);
            using var tape = new Acr.Autograd.Tape(strict, recording: false);
            using var segments = BatchSegments.Whole(strict, 4);
            var x = tape.Input([1f, 2f, 3f, 1f, 2f, 4f, 9f, 9f, 9f, 1f, 1f, 1f], Acr.Tensors.TensorShape.Matrix(4, 3));
            var e = Assert.Throws<NotSupportedException>(() => model.Forward(tape, x, ForwardContext.ZeroShot(segments)));
            Assert.Contains("'knn.scores'", e.Message, StringComparison.Ordinal);
            Assert.Contains("'queued-device'", e.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Selftest_checks_the_chosen_ops_and_refuses_unknown_ones()
    {
        var r = CliHarness.Run("selftest", "--op", "gemm", "--op", "row-log-sum-exp", "--op", "knn.scores", "--plugins", SamplePlugin);
        Assert.True(r.ExitCode == 0, r.Output + r.Error);
        Assert.Contains("gemm", r.Output, StringComparison.Ordinal);
        Assert.Contains("knn.scores", r.Output, StringComparison.Ordinal);
        Assert.Contains("all ops agree with the reference", r.Output, StringComparison.Ordinal);
        var bad = CliHarness.Run("selftest", "--op", "nope");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("no op named nope", bad.Error, StringComparison.Ordinal);
    }
}
