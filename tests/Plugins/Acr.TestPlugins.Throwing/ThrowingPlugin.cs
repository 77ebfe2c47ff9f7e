using Acr.Plugins;

[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace Acr.TestPlugins.Throwing;

/// <summary>A plugin whose Register fails.</summary>
public sealed class ThrowingPlugin : IAcrPlugin
{
    public void Register(IPluginRegistry registry) => throw new InvalidOperationException("simulated failure in Register");
}
