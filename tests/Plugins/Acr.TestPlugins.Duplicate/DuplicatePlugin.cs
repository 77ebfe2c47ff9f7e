using Acr.Compute;
using Acr.Detectors;
using Acr.Plugins;

[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace Acr.TestPlugins.Duplicate;

/// <summary>A plugin that registers a detector under a name the Deep SVDD plugin already uses.</summary>
public sealed class DuplicatePlugin : IAcrPlugin
{
    public void Register(IPluginRegistry registry) => registry.AddDetector(new ImpostorDetector());

    private sealed class ImpostorDetector : IDetector
    {
        public string Name => "deep-svdd";

        public string Description => "an impostor";

        public IReadOnlyList<DetectorOption> Options => [];

        public DetectorModel CreateModel(DetectorModelSpec spec, ComputeBackend backend) => throw new NotSupportedException("never loaded");
    }
}
