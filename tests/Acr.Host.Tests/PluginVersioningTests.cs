using System.Text.RegularExpressions;
using Acr.Plugins;

using static Acr.Host.Tests.TestPlugins;

namespace Acr.Host.Tests;

/// <summary>
/// Contract versioning with real built plugin assemblies (the API version is read from each one's metadata): a plugin
/// built against an older minor loads on a later host; one built against a newer minor or major, or an older major, is
/// refused with a reason that names the Acr.Abstractions package and plugin API version to build against.
/// </summary>
public partial class PluginVersioningTests
{
    private static string UseThisHost => $"build the plugin against the Acr.Abstractions package {PluginCatalog.ContractPackageVersion} (plugin API {PluginApi.Version})";

    [Fact]
    public void The_contract_package_version_is_the_version_of_the_Acr_Abstractions_assembly_the_host_carries()
    {
        Assert.Matches(ThreePartVersion(), PluginCatalog.ContractPackageVersion);
        Assert.Equal(typeof(IAcrPlugin).Assembly.GetName().Version!.ToString(3), PluginCatalog.ContractPackageVersion);
    }

    [Fact]
    public void A_plugin_built_against_an_older_minor_loads_and_runs_on_a_later_host()
    {
        using var tmp = FolderWith("SamplePlugin", "ThrowingPlugin");
        Assert.Equal((2, 0), Declared(tmp, "knn")); // the sample declares the oldest contract it needs
        var laterHost = new Version(PluginApi.Major, PluginApi.Minor + 3);
        var catalog = PluginCatalog.LoadForHost([BuiltIn, tmp.Path], null, laterHost);
        try
        {
            var sample = Assert.Single(catalog.Plugins, p => p.Name == "Acr.Samples.KnnDetector");
            Assert.True(sample.IsLoaded, sample.Error);
            Assert.Equal("2.0", sample.ApiVersion);
            Assert.Equal(["knn-in-batch"], sample.Detectors);
            // It got past the version check to Register, the step after it.
            Assert.Contains("Register threw", Assert.Single(catalog.Failures).Error);
            Assert.Equal(5, catalog.Plugins.Count(p => p.IsLoaded));
        }
        finally
        {
            catalog.Unload();
        }
    }

    [Fact]
    public void A_plugin_built_against_a_newer_major_is_refused_naming_the_version_to_use()
    {
        using var tmp = FolderWith("FutureApiPlugin");
        Assert.Equal((PluginApi.Major + 1, 0), Declared(tmp, "Acr.TestPlugins.FutureApi"));
        WithCatalog([tmp.Path], catalog =>
        {
            var failed = Assert.Single(catalog.Failures);
            Assert.Equal($"built against plugin API {PluginApi.Major + 1}.0, but this host provides {PluginApi.Version}, which is older: {UseThisHost}, " +
                $"the one this acr provides, or run it with an acr whose plugin API is {PluginApi.Major + 1}.0 or a later {PluginApi.Major + 1}.x", failed.Error);
            Assert.Equal($"{PluginApi.Major + 1}.0", failed.ApiVersion);
        });
    }

    [Fact]
    public void A_plugin_built_against_a_newer_minor_is_refused_naming_the_version_to_use()
    {
        using var tmp = FolderWith("FutureMinorPlugin");
        Assert.Equal((PluginApi.Major, PluginApi.Minor + 1), Declared(tmp, "Acr.TestPlugins.FutureMinor"));
        WithCatalog([tmp.Path], catalog =>
        {
            var failed = Assert.Single(catalog.Failures);
            Assert.StartsWith($"built against plugin API {PluginApi.Major}.{PluginApi.Minor + 1}, but this host provides {PluginApi.Version}, which is older: {UseThisHost}", failed.Error);
        });
    }

    [Fact]
    public void A_plugin_of_an_older_major_is_refused_on_a_host_of_the_next_major()
    {
        using var tmp = FolderWith("SamplePlugin");
        var nextMajor = new Version(PluginApi.Major + 1, 0);
        var catalog = PluginCatalog.LoadForHost([tmp.Path], null, nextMajor);
        try
        {
            var failed = Assert.Single(catalog.Failures);
            Assert.Equal($"built against plugin API 2.0, but this host provides {nextMajor}, an older major whose contract this host no longer has: " +
                $"build the plugin against the Acr.Abstractions package {PluginCatalog.ContractPackageVersion} (plugin API {nextMajor}), the one this acr provides", failed.Error);
            Assert.Empty(catalog.Registry.Detectors);
        }
        finally
        {
            catalog.Unload();
        }
    }

    [Theory]
    [InlineData(2, 0, 2, 0, true)]
    [InlineData(2, 0, 2, 4, true)]
    [InlineData(2, 3, 2, 4, true)]
    [InlineData(2, 5, 2, 4, false)]
    [InlineData(3, 0, 2, 4, false)]
    [InlineData(1, 9, 2, 4, false)]
    [InlineData(2, 0, 3, 0, false)]
    public void Compatibility_is_same_major_and_a_minor_not_newer(int major, int minor, int hostMajor, int hostMinor, bool loads) =>
        Assert.Equal(loads, PluginCatalog.IncompatibilityOf(major, minor, new Version(hostMajor, hostMinor)) is null);

    [Fact]
    public void Acr_plugins_shows_the_version_to_build_against()
    {
        using var tmp = FolderWith("FutureApiPlugin", "SamplePlugin");
        var r = CliHarness.Run("plugins", "--plugins", tmp.Path);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"plugin API {PluginApi.Major + 1}.0  FAILED", r.Output);
        var unwrapped = Whitespace().Replace(r.Output, " "); // the console wraps long lines
        Assert.Contains($"reason: built against plugin API {PluginApi.Major + 1}.0, but this host provides {PluginApi.Version}, which is older: {UseThisHost}", unwrapped);
        Assert.Contains("Acr.Samples.KnnDetector 2.0.0.0  plugin API 2.0  loaded", r.Output);
    }

    /// <summary>What the installed plugin's assembly declares, read from its metadata.</summary>
    private static (int?, int?) Declared(TempDirectory tmp, string folder)
    {
        var dll = Directory.GetFiles(Path.Combine(tmp.Path, folder), "*.deps.json").Single().Replace(".deps.json", ".dll", StringComparison.Ordinal);
        var info = PluginAssemblyInspector.Inspect(dll);
        return (info.ApiMajor, info.ApiMinor);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^\d+\.\d+\.\d+$")]
    private static partial Regex ThreePartVersion();
}
