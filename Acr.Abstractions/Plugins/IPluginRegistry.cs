using Acr.Compute;
using Acr.Detectors;

namespace Acr.Plugins;

/// <summary>What a plugin registers into.</summary>
public interface IPluginRegistry
{
    /// <summary>Adds a detector.</summary>
    /// <param name="detector">The detector; its name must be unique across plugins.</param>
    void AddDetector(IDetector detector);

    /// <summary>Adds a backend provider.</summary>
    /// <param name="provider">The provider; its name must be unique across plugins.</param>
    void AddBackend(IBackendProvider provider);
}
