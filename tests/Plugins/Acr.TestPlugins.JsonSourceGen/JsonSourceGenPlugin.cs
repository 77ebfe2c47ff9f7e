using System.Text.Json;
using System.Text.Json.Serialization;
using Acr.Plugins;

[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace Acr.TestPlugins.JsonSourceGen;

/// <summary>Settings of the plugin, a type of its own.</summary>
public sealed record SourceGenSettings(int K, string Metric);

/// <summary>The workaround: metadata generated at compile time, held by the plugin's own context type.</summary>
[JsonSerializable(typeof(SourceGenSettings))]
internal sealed partial class SettingsJsonContext : JsonSerializerContext;

/// <summary>
/// Round-trips its own settings type through System.Text.Json with a source-generated context: no metadata of
/// the plugin's types lands in a cache of the host's context, so the plugin unloads.
/// </summary>
public sealed class JsonSourceGenPlugin : IAcrPlugin
{
    public void Register(IPluginRegistry registry)
    {
        var settings = new SourceGenSettings(5, "euclidean");
        var json = JsonSerializer.Serialize(settings, SettingsJsonContext.Default.SourceGenSettings);
        var back = JsonSerializer.Deserialize(json, SettingsJsonContext.Default.SourceGenSettings);
        if (back != settings)
        {
            throw new InvalidOperationException($"settings did not round-trip: {back}");
        }
    }
}
