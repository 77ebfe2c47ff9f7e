using System.Text.Json;
using Acr.Plugins;

[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace Acr.TestPlugins.JsonRooted;

/// <summary>Settings of the plugin, a type of its own.</summary>
public sealed record RootedSettings(int K, string Metric);

/// <summary>
/// Round-trips its own settings type through System.Text.Json with the default options. The serializer caches
/// the type's metadata in the static <c>JsonSerializerOptions.Default</c>, which lives in the host's context, so
/// that cache keeps this plugin's load context alive after it is unloaded.
/// </summary>
public sealed class JsonRootedPlugin : IAcrPlugin
{
    public void Register(IPluginRegistry registry)
    {
        var settings = new RootedSettings(5, "euclidean");
        var back = JsonSerializer.Deserialize<RootedSettings>(JsonSerializer.Serialize(settings));
        if (back != settings)
        {
            throw new InvalidOperationException($"settings did not round-trip: {back}");
        }
    }
}
