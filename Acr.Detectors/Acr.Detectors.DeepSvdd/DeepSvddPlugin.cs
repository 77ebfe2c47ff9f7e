using Acr.Plugins;

[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace Acr.Detectors.DeepSvdd;

/// <summary>Registers <see cref="DeepSvddDetector"/>.</summary>
public sealed class DeepSvddPlugin : IAcrPlugin
{
    /// <inheritdoc />
    public void Register(IPluginRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddDetector(new DeepSvddDetector());
    }
}
