using System.Runtime.InteropServices;

namespace Acr.Compute;

/// <summary>
/// The scalar reference backend: host arrays and no kernels, so every op runs its
/// <see cref="ComputeOp{TArgs}.Reference"/> (plain scalar code with double accumulation). It is what
/// every kernel is checked against, and a backend to cross-check results with (<c>--backend reference</c>);
/// it is slow on purpose.
/// </summary>
public sealed class ReferenceBackend : ComputeBackend
{
    /// <summary>The backend's name.</summary>
    public const string BackendName = "reference";

    private readonly Lock _lock = new();

    /// <inheritdoc />
    public override string Name => BackendName;

    /// <inheritdoc />
    public override DeviceDescriptor Device { get; } = Describe();

    /// <inheritdoc />
    public override bool IsHostMemory => true;

    internal static DeviceDescriptor Describe() =>
        new(BackendName, 0, "scalar reference (double accumulation)", true, null, new Dictionary<string, string> { ["speed"] = "slow; for checking results" });

    /// <inheritdoc />
    protected override void RunReferenceOnHost<TArgs>(ComputeOp<TArgs> op, in TArgs args)
    {
        lock (_lock)
        {
            base.RunReferenceOnHost(op, args);
        }
    }

    /// <inheritdoc />
    protected override DeviceBuffer AllocateCore(int elements) => new HostBuffer(this, elements);

    /// <inheritdoc />
    protected override void ReleaseCore(DeviceBuffer buffer)
    {
    }

    /// <inheritdoc />
    protected override void UploadCore(ReadOnlySpan<byte> source, DeviceBuffer destination) =>
        source.CopyTo(MemoryMarshal.AsBytes(((HostBuffer)destination).Data.AsSpan()));

    /// <inheritdoc />
    protected override void DownloadCore(DeviceBuffer source, Span<byte> destination) =>
        MemoryMarshal.AsBytes(((HostBuffer)source).Data.AsSpan())[..destination.Length].CopyTo(destination);

    /// <inheritdoc />
    protected override void FillCore(DeviceBuffer buffer, int count, uint bits) =>
        MemoryMarshal.Cast<float, uint>(((HostBuffer)buffer).Data.AsSpan(0, count)).Fill(bits);

    /// <inheritdoc />
    protected override void CopyCore(DeviceBuffer source, int sourceOffset, DeviceBuffer destination, int destinationOffset, int count) =>
        ((HostBuffer)source).Data.AsSpan(sourceOffset, count).CopyTo(((HostBuffer)destination).Data.AsSpan(destinationOffset, count));

    /// <inheritdoc />
    protected override void SynchronizeCore()
    {
    }

    /// <inheritdoc />
    protected override Span<byte> HostMemoryCore(DeviceBuffer buffer) => MemoryMarshal.AsBytes(((HostBuffer)buffer).Data.AsSpan());

    /// <inheritdoc />
    protected internal override bool Owns(DeviceBuffer buffer) => buffer is HostBuffer h && ReferenceEquals(h.Owner, this);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
    }

    private sealed class HostBuffer(ReferenceBackend owner, int capacity) : DeviceBuffer(capacity)
    {
        // Fresh arrays are zero, but callers may not count on it: the contract promises nothing.
        public readonly float[] Data = new float[capacity];

        public ReferenceBackend Owner { get; } = owner;
    }
}

/// <summary>Provides the <see cref="ReferenceBackend"/> as a selectable backend (one device, <c>reference:0</c>; no options).</summary>
public sealed class ReferenceBackendProvider : IBackendProvider
{
    /// <inheritdoc />
    public string Name => ReferenceBackend.BackendName;

    /// <inheritdoc />
    public string Description => "The scalar reference every kernel is checked against (slow; for cross-checking results).";

    /// <inheritdoc />
    public IReadOnlyList<DeviceDescriptor> Devices { get; } = [ReferenceBackend.Describe()];

    /// <inheritdoc />
    public MissingKernelPolicy MissingKernelPolicy => MissingKernelPolicy.RunReferenceOnHost;

    /// <inheritdoc />
    public ComputeBackend Create(DeviceDescriptor device, IReadOnlyDictionary<string, string>? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Index != 0 || !string.Equals(device.Backend, Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The reference provider has one device, reference:0; got {device.Id}.", nameof(device));
        }

        if (options is { Count: > 0 })
        {
            throw new ArgumentException($"The reference backend takes no options; got {string.Join(", ", options.Keys)}.", nameof(options));
        }

        return new ReferenceBackend();
    }
}
