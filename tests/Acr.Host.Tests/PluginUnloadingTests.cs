using System.Runtime.CompilerServices;

using static Acr.Host.Tests.TestPlugins;

namespace Acr.Host.Tests;

/// <summary>
/// Unloading on McMaster.NETCore.Plugins: a plugin that serialised its own types with System.Text.Json's default
/// options stays rooted by the serializer's static cache and is reported; one using a source-generated context
/// (the documented workaround) unloads, like every other plugin.
/// </summary>
public class PluginUnloadingTests
{
    [Fact]
    public void A_plugin_that_serialised_its_types_with_default_json_options_does_not_unload_and_is_named()
    {
        using var tmp = FolderWith("JsonRootedPlugin", "JsonSourceGenPlugin", "SamplePlugin");
        var (loaded, stuck) = LoadThenWaitForUnload([tmp.Path]);
        Assert.Equal(["Acr.TestPlugins.JsonRooted", "Acr.TestPlugins.JsonSourceGen", "Acr.Samples.KnnDetector"], loaded);
        Assert.Equal(["Acr.TestPlugins.JsonRooted"], stuck);
    }

    [Fact]
    public void The_built_in_plugins_all_unload()
    {
        var (loaded, stuck) = LoadThenWaitForUnload([BuiltIn]);
        Assert.Equal(4, loaded.Count);
        Assert.Empty(stuck);
    }

    [Fact]
    public void Acr_plugins_reports_the_plugin_that_did_not_unload()
    {
        using var tmp = FolderWith("JsonRootedPlugin", "SamplePlugin");
        var r = CliHarness.Run("plugins", "--plugins", tmp.Path);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("unloading: plugin 'Acr.TestPlugins.JsonRooted' did not unload", r.Output);
        Assert.Contains("docs/plugins.md", r.Output);
        Assert.DoesNotContain("unloading: plugin 'Acr.Samples.KnnDetector'", r.Output);
        Assert.Single(r.Output.Split('\n'), l => l.StartsWith("unloading:", StringComparison.Ordinal));
    }

    [Fact]
    public void Acr_plugins_says_when_every_plugin_unloaded()
    {
        using var tmp = FolderWith("JsonSourceGenPlugin", "SamplePlugin");
        var r = CliHarness.Run("plugins", "--plugins", tmp.Path);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("unloading: all 6 loaded plugin(s) unloaded.", r.Output); // 4 built-in + 2
    }

    [Fact]
    public void Waiting_for_unload_refuses_an_unbounded_number_of_collections()
    {
        var catalog = PluginCatalog.Load([]);
        Assert.Throws<ArgumentOutOfRangeException>(() => catalog.WaitForUnload(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => catalog.WaitForUnload(101));
        Assert.Empty(catalog.WaitForUnload(1));
    }

    /// <summary>Loads, checks everything loaded, and unloads, in a frame of its own so no plugin object stays on the caller's stack.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (IReadOnlyList<string> Loaded, IReadOnlyList<string> Stuck) LoadThenWaitForUnload(string[] folders)
    {
        var catalog = PluginCatalog.Load(folders);
        Assert.All(catalog.Plugins, p => Assert.True(p.IsLoaded, p.Error));
        return (catalog.Plugins.Select(p => p.Name).ToArray(), catalog.WaitForUnload());
    }
}
