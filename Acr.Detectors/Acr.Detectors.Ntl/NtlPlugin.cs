using Acr.Plugins;

[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace Acr.Detectors.Ntl;

/// <summary>Registers <see cref="NtlDetector"/>.</summary>
public sealed class NtlPlugin : IAcrPlugin
{
    /// <inheritdoc />
    public void Register(IPluginRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddDetector(new NtlDetector());
    }
}
