using Acr.Plugins;

// Claims a contract version this host does not have.
[assembly: AcrPluginApi(PluginApi.Major + 1, 0)]

namespace Acr.TestPlugins.FutureApi;

/// <summary>A plugin built against a newer, incompatible plugin API.</summary>
public sealed class FutureApiPlugin : IAcrPlugin
{
    public void Register(IPluginRegistry registry) => throw new InvalidOperationException("must never be called: the API version is incompatible");
}
