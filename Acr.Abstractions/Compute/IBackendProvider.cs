namespace Acr.Compute;

/// <summary>
/// Discovers the devices of one kind of hardware and creates compute backends on them. A provider
/// never throws for a missing driver: it reports the device as unusable with a reason.
/// </summary>
public interface IBackendProvider
{
    /// <summary>Backend name users select, e.g. <c>cpu</c> (case-insensitive, unique across plugins).</summary>
    string Name { get; }

    /// <summary>One line saying what this backend is.</summary>
    string Description { get; }

    /// <summary>Every device found, usable or not (probing happens once, on first access).</summary>
    IReadOnlyList<DeviceDescriptor> Devices { get; }

    /// <summary>What the backends this provider creates do with an op they have no kernel for (see <see cref="ComputeBackend.MissingKernelPolicy"/>).</summary>
    MissingKernelPolicy MissingKernelPolicy { get; }

    /// <summary>Creates a backend on <paramref name="device"/>.</summary>
    /// <param name="device">A usable device from <see cref="Devices"/>.</param>
    /// <param name="options">Backend options (e.g. <c>threads</c>); unknown keys are an error.</param>
    /// <exception cref="InvalidOperationException">The device is not usable; the message gives the reason.</exception>
    /// <exception cref="ArgumentException">An option is unknown or malformed.</exception>
    ComputeBackend Create(DeviceDescriptor device, IReadOnlyDictionary<string, string>? options = null);
}
