using Acr.Compute;

namespace MyBackend;

/// <summary>Makes <see cref="MyBackendBackend"/> selectable as <c>--backend MY_BACKEND_NAME</c>: one device, no options.</summary>
public sealed class MyBackendProvider : IBackendProvider
{
    private readonly Lazy<IReadOnlyList<DeviceDescriptor>> _devices = new(() => [MyBackendBackend.Describe(0)]);

    /// <inheritdoc />
    public string Name => MyBackendBackend.BackendName;

    /// <inheritdoc />
    public string Description => "Host-memory backend with its own relu kernel; every other op runs the contract's reference.";

    /// <summary>
    /// Every device found, usable or not, probed on first access. A real device backend lists each one here and
    /// marks those it cannot use with a reason (a missing driver is a state, not an exception).
    /// </summary>
    public IReadOnlyList<DeviceDescriptor> Devices => _devices.Value;

    /// <inheritdoc />
    public MissingKernelPolicy MissingKernelPolicy => MissingKernelPolicy.RunReferenceOnHost;

    /// <inheritdoc />
    public ComputeBackend Create(DeviceDescriptor device, IReadOnlyDictionary<string, string>? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!string.Equals(device.Backend, Name, StringComparison.OrdinalIgnoreCase) || device.Index < 0 || device.Index >= Devices.Count)
        {
            throw new ArgumentException($"{Name} has the devices {string.Join(", ", Devices.Select(d => d.Id))}; got {device.Id}.", nameof(device));
        }

        if (!Devices[device.Index].IsUsable)
        {
            throw new InvalidOperationException($"{device.Id} is not usable: {Devices[device.Index].Reason}");
        }

        if (options is { Count: > 0 })
        {
            throw new ArgumentException($"{Name} takes no options; got {string.Join(", ", options.Keys)}.", nameof(options));
        }

        return new MyBackendBackend();
    }
}
