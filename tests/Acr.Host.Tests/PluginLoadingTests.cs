using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.Json;
using Acr.Compute;
using Acr.Detectors;
using Acr.Plugins;

using static Acr.Host.Tests.TestPlugins;

namespace Acr.Host.Tests;

/// <summary>
/// Plugin loading: the built-in plugins and a third-party sample load from folders, each in its own
/// collectible context with private dependencies; every faulty plugin is reported with its reason while
/// the others still load; unloading frees the contexts.
/// </summary>
public class PluginLoadingTests
{
    /// <summary>
    /// With the built-in plugins and those in <paramref name="tmp"/>: exactly one plugin fails, with <paramref name="reason"/>
    /// in its error; then <paramref name="check"/> on the catalog and the failure, before the catalog unloads.
    /// </summary>
    private static void AssertOneFailure(TempDirectory tmp, string reason, Action<PluginCatalog, PluginDescriptor>? check = null) =>
        WithCatalog([BuiltIn, tmp.Path], catalog =>
        {
            var failed = Assert.Single(catalog.Failures);
            Assert.Contains(reason, failed.Error);
            check?.Invoke(catalog, failed);
        });

    [Fact]
    public void Built_in_plugins_load_from_the_folder_beside_the_executable() => WithCatalog(PluginCatalog.SearchPath(), catalog =>
    {
        Assert.All(catalog.Plugins, p => Assert.True(p.IsLoaded, p.Error));
        Assert.Contains(catalog.Plugins, p => p.Backends.Contains("cpu") && p.ApiVersion == PluginApi.Version.ToString());
        Assert.Contains(catalog.Plugins, p => p.Detectors.Contains("deep-svdd"));
        // The contract type is the host's own: a plugin detector is an IDetector of the default context.
        var detector = catalog.Registry.GetDetector("deep-svdd");
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(IDetector).Assembly));
        Assert.IsAssignableFrom<IDetector>(detector);
        Assert.NotSame(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(detector.GetType().Assembly));
    });

    [Fact]
    public void Each_plugin_keeps_its_own_version_of_a_shared_library()
    {
        using var tmp = FolderWith("SamplePlugin");
        WithCatalog([BuiltIn, tmp.Path], catalog =>
        {
            Assert.All(catalog.Plugins, p => Assert.True(p.IsLoaded, p.Error));
            var knn = catalog.Registry.GetDetector("knn-in-batch");
            var cpu = catalog.Registry.GetBackend("cpu");
            var knnContext = AssemblyLoadContext.GetLoadContext(knn.GetType().Assembly)!;
            var cpuContext = AssemblyLoadContext.GetLoadContext(cpu.GetType().Assembly)!;
            Assert.NotSame(knnContext, cpuContext);

            // Use both so each resolves System.Numerics.Tensors, then compare what each context loaded.
            var spec = new DetectorModelSpec(3, new Dictionary<string, string> { ["k"] = "2", ["epsilon"] = "1e-5" }, 0);
            using var backend = catalog.Registry.CreateBackend("cpu");
            using var model = knn.CreateModel(spec, backend);
            using var tape = new Acr.Autograd.Tape(backend, recording: false);
            var x = tape.Input([1f, 2f, 3f, 1f, 2f, 4f, 9f, 9f, 9f, 1f, 1f, 1f], Acr.Tensors.TensorShape.Matrix(4, 3));
            using var whole = Acr.Compute.BatchSegments.Whole(backend, 4);
            model.Forward(tape, x, Acr.Nn.ForwardContext.ZeroShot(whole));
            using var t1 = backend.Allocate(Acr.Tensors.TensorShape.Matrix(8, 8));
            backend.Gemm(false, false, 1f, t1, t1, 0f, backend.Allocate(Acr.Tensors.TensorShape.Matrix(8, 8)));
            backend.Relu(t1, t1);

            static Version? TensorsIn(AssemblyLoadContext c) =>
                c.Assemblies.FirstOrDefault(a => a.GetName().Name == "System.Numerics.Tensors")?.GetName().Version;
            Assert.Equal(9, TensorsIn(knnContext)?.Major);
            Assert.Equal(10, TensorsIn(cpuContext)?.Major);
            Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "System.Numerics.Tensors");
        });
    }

    [Fact]
    public void Unloading_frees_the_plugin_load_contexts_while_the_catalog_lives_on()
    {
        // The catalog stays reachable: Unload itself must drop every reference into the plugins.
        var (catalog, references) = LoadAndUnload();
        for (var i = 0; i < 20 && references.Any(r => r.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.All(references, r => Assert.False(r.IsAlive, "a plugin load context or assembly survived unloading"));
        Assert.Empty(catalog.Registry.Detectors);
        GC.KeepAlive(catalog);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (PluginCatalog Catalog, IReadOnlyList<WeakReference> References) LoadAndUnload()
    {
        using var tmp = FolderWith("SamplePlugin");
        var catalog = PluginCatalog.Load([tmp.Path]);
        Assert.Single(catalog.Plugins, p => p.IsLoaded);
        var detector = catalog.Registry.GetDetector("knn-in-batch");
        Assert.Equal("knn-in-batch", detector.Name);
        var references = catalog.LoadContextReferences();
        Assert.True(references.Count >= 2); // the context and at least the plugin's assembly
        catalog.Unload();
        return (catalog, references);
    }

    [Fact]
    public void Missing_dependency_is_reported_and_others_still_load()
    {
        using var tmp = new TempDirectory();
        var folder = Install(tmp, "SamplePlugin", "knn");
        File.Delete(Path.Combine(folder, "System.Numerics.Tensors.dll"));
        AssertOneFailure(tmp, "missing dependency System.Numerics.Tensors.dll", (catalog, _) => Assert.NotNull(catalog.Registry.GetDetector("deep-svdd")));
    }

    [Fact]
    public void A_file_that_is_not_dotnet_is_reported()
    {
        using var tmp = new TempDirectory();
        var folder = Path.Combine(tmp.Path, "native");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "native.dll"), [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        AssertOneFailure(tmp, "not a .NET assembly", (catalog, _) => Assert.NotNull(catalog.Registry.GetBackend("cpu")));
    }

    [Fact]
    public void A_plugin_whose_Register_throws_is_reported_and_registers_nothing()
    {
        using var tmp = FolderWith("ThrowingPlugin");
        AssertOneFailure(tmp, "Register threw InvalidOperationException: simulated failure in Register",
            (catalog, _) => Assert.Equal(4, catalog.Plugins.Count(p => p.IsLoaded))); // the built-in cpu, gpu, deep-svdd and ntl plugins
    }

    [Fact]
    public void Two_plugins_registering_one_name_the_second_is_refused()
    {
        using var tmp = FolderWith("DuplicatePlugin");
        AssertOneFailure(tmp, "'deep-svdd' (already provided by plugin 'Acr.Detectors.DeepSvdd')", (catalog, failed) =>
        {
            Assert.Equal("Acr.TestPlugins.Duplicate", failed.Name);
            Assert.Equal("Deep SVDD (TabDSVDD): MLP with batch norm, learnable centre; score = squared distance to the centre.", catalog.Registry.GetDetector("deep-svdd").Description);
        });
    }

    [Fact]
    public void An_incompatible_api_version_names_both_versions()
    {
        using var tmp = FolderWith("FutureApiPlugin");
        AssertOneFailure(tmp, $"built against plugin API {PluginApi.Major + 1}.0, but this host provides {PluginApi.Version}");
    }

    [Fact]
    public void Acr_plugins_lists_loaded_and_failed_plugins_and_exits_zero()
    {
        using var tmp = FolderWith("SamplePlugin", "ThrowingPlugin");
        var r = CliHarness.Run("plugins", "--plugins", tmp.Path);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Acr.Samples.KnnDetector 2.0.0.0  plugin API 2.0  loaded", r.Output);
        Assert.Contains("registers: detector knn-in-batch, op knn.scores", r.Output);
        Assert.Contains("op knn.scores: cpu: kernel; ", r.Output);
        Assert.Contains("; reference: reference on the host (correct, slow)", r.Output);
        Assert.Contains("registers: backend cpu", r.Output);
        Assert.Contains("Acr.TestPlugins.Throwing", r.Output);
        Assert.Contains("simulated failure in Register", r.Output);
    }

    [Fact]
    public void A_broken_plugin_does_not_fail_a_command_that_does_not_need_it()
    {
        using var tmp = FolderWith("ThrowingPlugin");
        var r = CliHarness.Run("devices", "--plugins", tmp.Path);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("cpu:0", r.Output);
        Assert.Contains("warning: plugin 'Acr.TestPlugins.Throwing'", r.Error);
    }

    [Fact]
    public void Plugin_directories_also_come_from_ACR_PLUGIN_PATH()
    {
        using var tmp = FolderWith("SamplePlugin");
        var previous = Environment.GetEnvironmentVariable(PluginCatalog.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(PluginCatalog.PathVariable, tmp.Path);
            Assert.Contains(Path.GetFullPath(tmp.Path), PluginCatalog.SearchPath());
        }
        finally
        {
            Environment.SetEnvironmentVariable(PluginCatalog.PathVariable, previous);
        }
    }

    [Fact]
    public void Evaluate_runs_with_the_third_party_detector()
    {
        using var tmp = FolderWith("SamplePlugin");
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 60, features: 5));
        var outDir = tmp.File("eval");
        var r = CliHarness.Run("evaluate", "--plugins", tmp.Path, "--detector", "knn-in-batch", "--option", "k=3",
            "--data", data, "--label", "cls", "--seeds", "1", "--out", outDir, "--contamination", "0.2");
        Assert.True(r.ExitCode == 0, r.Error);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
        Assert.Equal("knn-in-batch", metrics.RootElement.GetProperty("config").GetProperty("detector").GetString());
        var acr = metrics.RootElement.GetProperty("summary").EnumerateArray().Single(e => e.GetProperty("method").GetString() == "ACR");
        Assert.InRange(acr.GetProperty("aurocMean").GetDouble(), 0.0, 1.0);
        // The saved model names the plugin's detector and reloads through it.
        var scores = tmp.File("s.csv");
        var score = CliHarness.Run("score", "--plugins", tmp.Path, "--model", Path.Combine(outDir, "model.safetensors"), "--data", data, "--label", "cls", "--out", scores);
        Assert.True(score.ExitCode == 0, score.Error);
        Assert.Equal(241, File.ReadAllLines(scores).Length);
    }

    [Fact]
    public void A_model_whose_detector_plugin_is_absent_names_the_detector()
    {
        using var tmp = FolderWith("SamplePlugin");
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 60, features: 5));
        var model = tmp.File("m.safetensors");
        Assert.Equal(0, CliHarness.Run("train", "--plugins", tmp.Path, "--detector", "knn-in-batch", "--data", data, "--label", "cls", "--out", model, "--quiet").ExitCode);
        var r = CliHarness.Run("score", "--model", model, "--data", data, "--label", "cls", "--out", tmp.File("s.csv"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("knn-in-batch", r.Error);
        Assert.Contains("deep-svdd", r.Error);
    }
}
