using Acr.Host.Composition;
using Acr.Host.PluginLoading;

namespace Acr.Host.Serving;

/// <summary>
/// Where a served model's detectors and backends come from: one fixed registry, or the current generation of a
/// <see cref="HotReloadingPlugins"/>. Each model worker holds a <see cref="PluginEpoch"/> per generation it serves from.
/// </summary>
internal abstract class ServePlugins
{
    /// <summary>The generation a new epoch would get (always 0 for a fixed registry).</summary>
    public abstract int Generation { get; }

    /// <summary>A fixed registry, loaded once.</summary>
    public static ServePlugins Fixed(ComponentRegistry registry) => new FixedPlugins(registry);

    /// <summary>The current generation of <paramref name="plugins"/>, re-read after every reload.</summary>
    public static ServePlugins Reloading(HotReloadingPlugins plugins) => new ReloadingPlugins(plugins);

    /// <summary>Holds the current generation and creates a backend from it; the epoch owns both.</summary>
    public abstract PluginEpoch Open(ServeOptions options);

    private sealed class FixedPlugins(ComponentRegistry registry) : ServePlugins
    {
        public override int Generation => 0;

        public override PluginEpoch Open(ServeOptions options) =>
            new(registry, 0, registry.CreateBackend(options.Backend, options.Device, options.BackendOptions), hold: null);
    }

    private sealed class ReloadingPlugins(HotReloadingPlugins plugins) : ServePlugins
    {
        public override int Generation => plugins.Generation;

        public override PluginEpoch Open(ServeOptions options)
        {
            var lease = plugins.Acquire();
            try
            {
                var registry = lease.Runtime.Registry;
                return new PluginEpoch(registry, lease.Generation, registry.CreateBackend(options.Backend, options.Device, options.BackendOptions), lease);
            }
            catch
            {
                lease.Dispose();
                throw;
            }
        }
    }
}

/// <summary>
/// One plugin generation as a model worker uses it: the registry models are loaded with, the backend they run on, and
/// the hold that keeps the generation loaded. Used by its worker's thread only; disposed when it is no longer the
/// worker's current epoch and no model version loaded from it remains.
/// </summary>
internal sealed class PluginEpoch(ComponentRegistry registry, int generation, ComputeBackend backend, IDisposable? hold) : IDisposable
{
    public ComponentRegistry Registry { get; } = registry;

    /// <summary>The plugin generation (0 for a fixed registry).</summary>
    public int Generation { get; } = generation;

    public ComputeBackend Backend { get; } = backend;

    /// <summary>Model versions loaded from this epoch and not yet disposed.</summary>
    public int Versions { get; set; }

    public void Dispose()
    {
        Backend.Dispose();
        hold?.Dispose();
    }
}
