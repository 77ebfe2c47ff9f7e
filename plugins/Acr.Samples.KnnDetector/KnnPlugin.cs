using Acr.Plugins;

// Declares the oldest contract that has everything this plugin uses (2.0: ops and kernels from plugins).
[assembly: AcrPluginApi(2, 0)]

namespace Acr.Samples.KnnDetector;

/// <summary>The plugin's entry point: the kNN-in-batch detector, its op and the op's CPU kernel.</summary>
public sealed class KnnPlugin : IAcrPlugin
{
    /// <inheritdoc />
    public void Register(IPluginRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddDetector(new KnnInBatchDetector());
        registry.AddOp(KnnScoresOp.Instance);
        registry.AddKernel("cpu", KnnScoresOp.Instance, backend => new KnnScoresCpuKernel(backend));
    }
}
