using Acr.Plugins;

[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace Acr.Backends.Cpu;

/// <summary>Registers the CPU backend.</summary>
public sealed class CpuPlugin : IAcrPlugin
{
    /// <inheritdoc />
    public void Register(IPluginRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddBackend(new CpuBackendProvider());
    }
}
