using System.Runtime.InteropServices;
using Acr.Compute;
using Acr.Tensors;

namespace MyBackend;

/// <summary>
/// A compute backend over host arrays. The base class validates every argument before it calls the protected
/// <c>…Core</c> methods below, and runs each op without a kernel here as the op's scalar reference on the host,
/// so a backend can start with a few kernels and grow: add one with <see cref="ComputeBackend.AddKernel{TArgs}"/>
/// and the tests check it against the reference on the op's own samples.
/// </summary>
public sealed class MyBackendBackend : ComputeBackend
{
    /// <summary>The name users select with <c>--backend</c>.</summary>
    public const string BackendName = "MY_BACKEND_NAME";

    private readonly Lock _lock = new();

    /// <summary>Creates the backend and registers its kernels.</summary>
    public MyBackendBackend()
    {
        AddKernel(ReluOp.Instance, new ReluKernel(this));
    }

    /// <inheritdoc />
    public override string Name => BackendName;

    /// <inheritdoc />
    public override DeviceDescriptor Device { get; } = Describe(0);

    /// <inheritdoc />
    public override bool IsHostMemory => true;

    /// <summary>The descriptor of device <paramref name="index"/>.</summary>
    /// <param name="index">The device index.</param>
    public static DeviceDescriptor Describe(int index) =>
        new(BackendName, index, "host memory (template backend)", true, null, new Dictionary<string, string> { ["memory"] = "host" });

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
    protected override bool Owns(DeviceBuffer buffer) => buffer is HostBuffer h && ReferenceEquals(h.Owner, this);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
    }

    private sealed class HostBuffer(MyBackendBackend owner, int capacity) : DeviceBuffer(capacity)
    {
        public readonly float[] Data = new float[capacity];

        public MyBackendBackend Owner { get; } = owner;
    }

    /// <summary><c>y[i] = x[i] &gt; 0 ? x[i] : 0</c> (NaN and −0 to +0), exactly as <see cref="ReluOp"/> specifies.</summary>
    private sealed class ReluKernel(MyBackendBackend backend) : IKernel<PointwiseArgs>
    {
        public void Run(in PointwiseArgs args)
        {
            var x = backend.HostFloats(args.X);
            var y = backend.HostFloats(args.Y);
            for (var i = 0; i < x.Length; i++)
            {
                y[i] = x[i] > 0 ? x[i] : 0;
            }
        }
    }
}
