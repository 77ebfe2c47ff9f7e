using Acr.Plugins;

namespace Acr.Host.Composition;

/// <summary>
/// Registers the components built with the host. Until plugin loading lands, the CPU backend and Deep
/// SVDD are referenced directly, but only their <see cref="IAcrPlugin"/> entry points are used.
/// </summary>
public static class BuiltInComponents
{
    /// <summary>Registers every built-in plugin into <paramref name="registry"/>.</summary>
    /// <param name="registry">The registry.</param>
    public static void Register(ComponentRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        IAcrPlugin[] plugins = [new Acr.Backends.Cpu.CpuPlugin(), new Acr.Detectors.DeepSvdd.DeepSvddPlugin()];
        foreach (var plugin in plugins)
        {
            registry.CurrentOwner = plugin.GetType().Assembly.GetName().Name ?? plugin.GetType().Name;
            plugin.Register(registry);
        }

        registry.CurrentOwner = "host";
    }
}
