using Acr.Plugins;

[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace Acr.Samples.KnnDetector;

/// <summary>The plugin's entry point: registers the kNN-in-batch detector.</summary>
public sealed class KnnPlugin : IAcrPlugin
{
    /// <inheritdoc />
    public void Register(IPluginRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddDetector(new KnnInBatchDetector());
    }
}
