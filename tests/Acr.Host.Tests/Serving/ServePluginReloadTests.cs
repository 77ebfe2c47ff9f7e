using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Acr.Host.Serving;

namespace Acr.Host.Tests.Serving;

/// <summary>
/// <c>acr serve --watch-plugins</c> as a library: a new version of the detector plugin dropped into the watched folder is
/// picked up under load; the model is loaded again with it, requests in flight finish on the old plugins, none fails,
/// and the old generation unloads once its last request is answered.
/// </summary>
[Collection(ServeTestGroup.Name)]
public sealed class ServePluginReloadTests(ServeModels models)
{
    [Fact]
    public async Task A_new_detector_plugin_is_swapped_in_under_load_without_a_failed_request_and_the_old_one_unloads()
    {
        using var tmp = new TempDirectory();
        var watched = tmp.File("plugins");
        foreach (var name in (string[])["Acr.Backends.Cpu", "Acr.Detectors.DeepSvdd"])
        {
            TestPlugins.CopyTree(Path.Combine(TestPlugins.BuiltIn, name), Path.Combine(watched, name));
        }

        var batches = Enumerable.Range(0, 3).Select(i => models.Rows(i * 31, 10 + (i * 7))).ToArray();
        var expected = batches.Select(b => models.Alone(models.ModelA, b)).ToArray();
        var log = new StringWriter();
        using var plugins = new HotReloadingPlugins([watched], TimeSpan.FromMilliseconds(100));
        await using var server = await AcrServer.StartAsync(
            ServeModels.Options(new ServedModelSource("live", models.PathA)) with { BatchWindow = TimeSpan.FromMilliseconds(1), Log = TextWriter.Synchronized(log) },
            plugins);
        using var client = ServeModels.Client(server.Addresses[0]);
        var answers = new ConcurrentQueue<(string Version, int Batch, float[] Scores)>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var clients = models.PostUntilStopped(client, "live", batches, 4, answers, failures, stop.Token);

        await WaitFor(() => answers.Count >= 20, "20 answers on plugin generation 1");
        Assert.Equal(1, server.Workers["live"].PluginGeneration);
        TestPlugins.CopyTree(Path.Combine(TestPlugins.BuiltIn, "Acr.Detectors.DeepSvdd"), Path.Combine(watched, "Acr.Detectors.DeepSvdd")); // the new version, dropped in
        await WaitFor(() => server.Workers["live"].PluginGeneration == 2, "the model on plugin generation 2");
        var atSwap = answers.Count;
        await WaitFor(() => answers.Count >= atSwap + 20, "20 answers after the swap");
        await WaitFor(() => plugins.RetiredGenerations == 0, "generation 1 unloaded after its last request");
        stop.Cancel();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.All(answers, a => Assert.Equal(expected[a.Batch], a.Scores)); // the same model file, the same scores on either generation
        Assert.Equal(1, server.Workers["live"].Swaps);
        Assert.Contains("plugin generation 2", log.ToString(), StringComparison.Ordinal);
        using var info = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/v1/models/live"));
        Assert.Equal(2, info.RootElement.GetProperty("pluginGeneration").GetInt32());
    }

    [Fact]
    public async Task A_broken_plugin_drop_is_refused_and_logged_and_the_model_keeps_serving()
    {
        using var tmp = new TempDirectory();
        var watched = tmp.File("plugins");
        foreach (var name in (string[])["Acr.Backends.Cpu", "Acr.Detectors.DeepSvdd"])
        {
            TestPlugins.CopyTree(Path.Combine(TestPlugins.BuiltIn, name), Path.Combine(watched, name));
        }

        var log = new StringWriter();
        using var plugins = new HotReloadingPlugins([watched], TimeSpan.FromMilliseconds(100));
        await using var server = await AcrServer.StartAsync(ServeModels.Options(new ServedModelSource("live", models.PathA)) with { Log = TextWriter.Synchronized(log) }, plugins);
        using var client = ServeModels.Client(server.Addresses[0]);
        File.WriteAllText(Path.Combine(watched, "Acr.Detectors.DeepSvdd", "Acr.Detectors.DeepSvdd.dll"), "half a file");
        await WaitFor(() => log.ToString().Contains("kept generation 1", StringComparison.Ordinal), "the refused reload's warning");

        var rows = models.Rows(0, 12);
        Assert.Equal(models.Alone(models.ModelA, rows), await ServeModels.Scores(await client.PostAsync("/v1/models/live/score", ServeModels.CsvContent(ServeModels.Csv(rows, 6)))));
        Assert.Equal(1, server.Workers["live"].PluginGeneration);
        Assert.Equal(0, server.Workers["live"].Swaps);
    }

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
