using Acr.Plugins;

// Claims the next minor version of this contract: an addition this host does not have yet.
[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor + 1)]

namespace Acr.TestPlugins.FutureMinor;

/// <summary>A plugin built against a newer minor version of the plugin API than the host's.</summary>
public sealed class FutureMinorPlugin : IAcrPlugin
{
    public void Register(IPluginRegistry registry) => throw new InvalidOperationException("must never be called: the API version is newer than the host's");
}
