using Acr.Plugins;

// The contract version this assembly is built against, taken from the Acr.Abstractions package it compiles with.
[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace MyBackend;

/// <summary>The plugin's entry point: acr creates it with its parameterless constructor and calls Register once.</summary>
public sealed class MyBackendPlugin : IAcrPlugin
{
    /// <inheritdoc />
    public void Register(IPluginRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        // Register must be quick and touch no hardware: the provider probes devices on first use.
        registry.AddBackend(new MyBackendProvider());
    }
}
