using Acr.Backends.Gpu.Devices;
using Acr.Plugins;

[assembly: AcrPluginApi(PluginApi.Major, PluginApi.Minor)]

namespace Acr.Backends.Gpu;

/// <summary>
/// Registers the ILGPU backends: <c>cuda</c>, <c>opencl</c> and <c>ilgpu-cpu</c>, one provider per ILGPU accelerator
/// type. Registering probes nothing; each provider looks for its devices the first time it is asked.
/// </summary>
public sealed class GpuPlugin : IAcrPlugin
{
    /// <inheritdoc />
    public void Register(IPluginRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        foreach (var kind in Enum.GetValues<GpuAcceleratorKind>())
        {
            registry.AddBackend(new GpuBackendProvider(kind));
        }
    }
}
