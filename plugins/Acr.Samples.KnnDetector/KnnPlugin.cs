using Acr.Plugins;

// Declares the oldest contract that has everything this plugin uses (1.0), so it loads on every 1.x host.
[assembly: AcrPluginApi(1, 0)]

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
