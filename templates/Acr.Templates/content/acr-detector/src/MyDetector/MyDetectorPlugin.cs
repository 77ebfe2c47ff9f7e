using Acr.Plugins;

// The contract version this assembly is built against, taken from the Acr.Abstractions package it compiles with.
[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace MyDetector;

/// <summary>The plugin's entry point: acr creates it with its parameterless constructor and calls Register once.</summary>
public sealed class MyDetectorPlugin : IAcrPlugin
{
    /// <inheritdoc />
    public void Register(IPluginRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddDetector(new MyDetectorDetector());
    }
}
