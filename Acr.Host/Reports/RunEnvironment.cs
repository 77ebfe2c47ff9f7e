using System.Runtime.InteropServices;
using Acr.Host.Models;

namespace Acr.Host.Reports;

/// <summary>Where a run happened: recorded in every metrics.json.</summary>
/// <param name="AcrVersion">Acr version.</param>
/// <param name="Runtime">.NET runtime description.</param>
/// <param name="Os">Operating system.</param>
/// <param name="ProcessorCount">Logical processors.</param>
/// <param name="Backend">Backend name.</param>
/// <param name="Device">Device name.</param>
/// <param name="DeviceProperties">Device facts (SIMD width, driver, …).</param>
public sealed record RunEnvironment(string AcrVersion, string Runtime, string Os, int ProcessorCount, string Backend, string Device, IReadOnlyDictionary<string, string> DeviceProperties)
{
    /// <summary>Describes the current process on <paramref name="backend"/>.</summary>
    /// <param name="backend">The backend used.</param>
    public static RunEnvironment Capture(ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return new RunEnvironment(ModelStore.AcrVersion, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription,
            Environment.ProcessorCount, backend.Name, backend.Device.Name, backend.Device.Properties);
    }
}
