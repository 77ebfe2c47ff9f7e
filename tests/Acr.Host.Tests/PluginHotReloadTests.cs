using System.Reflection;
using System.Runtime.CompilerServices;

using static Acr.Host.Tests.TestPlugins;

namespace Acr.Host.Tests;

/// <summary>
/// Hot reload in a long-running library host: a new version of a plugin dropped into the watched folder becomes
/// current without a restart, work already running on the old version finishes on it, and the old version unloads
/// once its last lease is returned. A drop that breaks a working plugin is refused and the current version kept.
/// </summary>
public class PluginHotReloadTests
{
    private static readonly string[] BuiltInNeeded = ["Acr.Backends.Cpu", "Acr.Detectors.DeepSvdd"];

    [Fact]
    public async Task A_new_plugin_version_is_picked_up_while_in_flight_training_finishes_on_the_old_one()
    {
        using var tmp = new TempDirectory();
        var watched = WatchedFolderWithBuiltIns(tmp);
        var csv = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 100, features: 6));
        var data = CsvDatasetReader.Read(csv, new CsvReadOptions { LabelColumn = "cls" });
        using var plugins = new HotReloadingPlugins([watched], TimeSpan.FromMilliseconds(100));
        using var reloaded = new ManualResetEventSlim();
        plugins.Reloaded += (_, _) => reloaded.Set();
        Assert.Equal(1, plugins.Generation);

        var lease1 = plugins.Acquire();
        var (oldAssembly, oldContext) = DetectorAssembly(lease1);
        using var trainingStarted = new ManualResetEventSlim();
        using var mayFinish = new ManualResetEventSlim();
        var training = Task.Run(() =>
        {
            using var backend = lease1.Runtime.CreateBackend("cpu");
            using var model = lease1.Runtime.Train(data, new TrainingRequest
            {
                TrainClasses = ["a", "b"],
                Training = new MetaTrainingOptions { Iterations = 40, TaskSize = 64, TasksPerIteration = 4 },
            }, backend, progress: p =>
            {
                trainingStarted.Set();
                if (p.Iteration == 10)
                {
                    mayFinish.Wait(TimeSpan.FromSeconds(60)); // hold the work open across the reload
                }
            });
            return model.Score(data, new ScoringRequest { BatchSize = 100 }).Scores.Count;
        });
        Assert.True(trainingStarted.Wait(TimeSpan.FromSeconds(60)), "training did not start");

        // The new version: the detector's files written over the old ones in the watched folder.
        CopyTree(Path.Combine(BuiltIn, "Acr.Detectors.DeepSvdd"), Path.Combine(watched, "Acr.Detectors.DeepSvdd"));
        Assert.True(reloaded.Wait(TimeSpan.FromSeconds(60)), $"no reload ({plugins.LastReloadError})");
        Assert.Equal(2, plugins.Generation);
        Assert.Null(plugins.LastReloadError);

        using (var lease2 = plugins.Acquire())
        {
            Assert.Equal(2, lease2.Generation);
            var (newAssembly, _) = DetectorAssembly(lease2);
            Assert.NotEqual(oldAssembly.Target, newAssembly.Target); // a fresh load of the new files, in its own context
            using var backend = lease2.Runtime.CreateBackend("cpu");
            using var model = lease2.Runtime.Train(data, new TrainingRequest { TrainClasses = ["a", "b"], Training = new MetaTrainingOptions { Iterations = 5, TaskSize = 64, TasksPerIteration = 4 } }, backend);
            Assert.Equal(data.Rows, model.Score(data, new ScoringRequest { BatchSize = 100 }).Scores.Count);
        }

        // The in-flight work was not disturbed: generation 1 stays loaded while its lease is held.
        Assert.Equal(1, plugins.RetiredGenerations);
        Assert.True(oldContext.IsAlive);
        mayFinish.Set();
        Assert.Equal(data.Rows, await training.WaitAsync(TimeSpan.FromSeconds(120))); // the in-flight training finished, on generation 1

        lease1.Dispose();
        Assert.Equal(0, plugins.RetiredGenerations);
        Assert.Throws<ObjectDisposedException>(() => lease1.Runtime);
        for (var i = 0; i < 20 && oldContext.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(oldContext.IsAlive, "generation 1's load context was not collected after its last lease");
    }

    [Fact]
    public void A_drop_that_breaks_a_loaded_plugin_is_refused_and_the_current_generation_kept()
    {
        using var tmp = new TempDirectory();
        var watched = WatchedFolderWithBuiltIns(tmp);
        using var plugins = new HotReloadingPlugins([watched], TimeSpan.FromMinutes(1)); // reloads by hand only
        File.WriteAllText(Path.Combine(watched, "Acr.Detectors.DeepSvdd", "Acr.Detectors.DeepSvdd.dll"), "half a file");

        Assert.False(plugins.Reload());
        Assert.Equal(1, plugins.Generation);
        Assert.Contains("kept generation 1", plugins.LastReloadError, StringComparison.Ordinal);
        Assert.Contains("Acr.Detectors.DeepSvdd", plugins.LastReloadError, StringComparison.Ordinal);
        using (var lease = plugins.Acquire())
        {
            Assert.Equal("deep-svdd", lease.Runtime.Registry.GetDetector("deep-svdd").Name); // still served by generation 1
        }

        CopyTree(Path.Combine(BuiltIn, "Acr.Detectors.DeepSvdd"), Path.Combine(watched, "Acr.Detectors.DeepSvdd"));
        Assert.True(plugins.Reload());
        Assert.Equal(2, plugins.Generation);
        Assert.Null(plugins.LastReloadError);
    }

    [Fact]
    public void A_plugin_added_to_the_folder_appears_in_the_next_generation_only()
    {
        using var tmp = new TempDirectory();
        var watched = WatchedFolderWithBuiltIns(tmp);
        using var plugins = new HotReloadingPlugins([watched], TimeSpan.FromMinutes(1));
        using var before = plugins.Acquire();
        CopyTree(BuiltFolder("SamplePlugin"), Path.Combine(watched, "knn"));
        Assert.True(plugins.Reload());
        using var after = plugins.Acquire();
        Assert.DoesNotContain(before.Catalog.Plugins, p => p.Name == "Acr.Samples.KnnDetector");
        Assert.Contains(after.Catalog.Plugins, p => p.Name == "Acr.Samples.KnnDetector" && p.IsLoaded);
    }

    [Fact]
    public void An_unbounded_quiet_period_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HotReloadingPlugins([], TimeSpan.FromHours(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HotReloadingPlugins([], TimeSpan.FromSeconds(-1)));
    }

    private static string WatchedFolderWithBuiltIns(TempDirectory tmp)
    {
        var watched = tmp.File("plugins");
        foreach (var name in BuiltInNeeded)
        {
            CopyTree(Path.Combine(BuiltIn, name), Path.Combine(watched, name));
        }

        return watched;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // no strong reference to the plugin's types stays in the test's frame
    private static (WeakReference Assembly, WeakReference Context) DetectorAssembly(PluginLease lease)
    {
        var assembly = lease.Runtime.Registry.GetDetector("deep-svdd").GetType().Assembly;
        return (new WeakReference(assembly), new WeakReference(System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly)));
    }
}
