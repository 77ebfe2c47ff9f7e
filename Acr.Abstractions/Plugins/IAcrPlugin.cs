namespace Acr.Plugins;

/// <summary>
/// The entry point of a plugin assembly: a public class with a public parameterless constructor.
/// The host creates it once and calls <see cref="Register"/>, which adds the plugin's detectors and backends.
/// </summary>
public interface IAcrPlugin
{
    /// <summary>Adds what this plugin provides. Must be quick and must not touch hardware (probe lazily).</summary>
    /// <param name="registry">Where to register.</param>
    void Register(IPluginRegistry registry);
}
