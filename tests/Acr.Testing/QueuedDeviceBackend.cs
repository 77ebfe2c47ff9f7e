using System.Runtime.InteropServices;
using Acr.Compute;
using Acr.Tensors;

namespace Acr.Testing;

/// <summary>
/// A simulated asynchronous device for testing what host code may assume: memory the host cannot address,
/// and a stream — every upload, fill, copy, op and release is queued and runs only when the host waits
/// (<see cref="ComputeBackend.Download(Tensor, Span{float})"/> or <see cref="ComputeBackend.Synchronize"/>). It has
/// no kernels, so every op runs its scalar reference through the staged host fallback, in stream order.
/// New allocations are NaN (the contract makes no zero promise); a released buffer is reused only after the
/// release has run.
/// </summary>
public sealed class QueuedDeviceBackend : ComputeBackend
{
    private readonly Lock _lock = new();
    private readonly Queue<Action> _stream = new();
    private readonly List<SimBuffer> _free = [];
    private int _executingThread = -1;

    /// <summary>Creates the simulated device.</summary>
    /// <param name="policy">Whether ops (which never have a kernel here) run their reference on the host or are refused.</param>
    public QueuedDeviceBackend(MissingKernelPolicy policy = MissingKernelPolicy.RunReferenceOnHost)
    {
        MissingKernelPolicy = policy;
    }

    /// <inheritdoc />
    public override MissingKernelPolicy MissingKernelPolicy { get; }

    /// <inheritdoc />
    public override string Name => "queued-device";

    /// <inheritdoc />
    public override DeviceDescriptor Device { get; } = new("queued-device", 0, "simulated asynchronous device (tests)", true, null, new Dictionary<string, string>());

    /// <summary>Operations queued and not yet run.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _stream.Count;
            }
        }
    }

    /// <summary>How many times the host had to wait for the stream (downloads and synchronisations that found work queued).</summary>
    public int Waits { get; private set; }

    /// <inheritdoc />
    protected override void RunReferenceOnHost<TArgs>(ComputeOp<TArgs> op, in TArgs args)
    {
        var copy = args;
        Enqueue(() => base.RunReferenceOnHost(op, copy));
    }

    /// <inheritdoc />
    protected override DeviceBuffer AllocateCore(int elements)
    {
        lock (_lock)
        {
            var index = _free.FindIndex(b => b.Capacity == elements);
            if (index >= 0)
            {
                var reusable = _free[index];
                _free.RemoveAt(index);
                Array.Fill(reusable.Data, float.NaN);
                return reusable;
            }
        }

        var buffer = new SimBuffer(this, elements);
        Array.Fill(buffer.Data, float.NaN);
        return buffer;
    }

    /// <inheritdoc />
    protected override void ReleaseCore(DeviceBuffer buffer) => Enqueue(() =>
    {
        lock (_lock)
        {
            _free.Add((SimBuffer)buffer);
        }
    });

    /// <inheritdoc />
    protected override void UploadCore(ReadOnlySpan<byte> source, DeviceBuffer destination)
    {
        var staged = source.ToArray(); // the span is consumed now, as the contract requires
        Enqueue(() => staged.CopyTo(MemoryMarshal.AsBytes(((SimBuffer)destination).Data.AsSpan())));
    }

    /// <inheritdoc />
    protected override void DownloadCore(DeviceBuffer source, Span<byte> destination)
    {
        Flush();
        MemoryMarshal.AsBytes(((SimBuffer)source).Data.AsSpan())[..destination.Length].CopyTo(destination);
    }

    /// <inheritdoc />
    protected override void FillCore(DeviceBuffer buffer, int count, uint bits) =>
        Enqueue(() => MemoryMarshal.Cast<float, uint>(((SimBuffer)buffer).Data.AsSpan(0, count)).Fill(bits));

    /// <inheritdoc />
    protected override void CopyCore(DeviceBuffer source, int sourceOffset, DeviceBuffer destination, int destinationOffset, int count) =>
        Enqueue(() => ((SimBuffer)source).Data.AsSpan(sourceOffset, count).CopyTo(((SimBuffer)destination).Data.AsSpan(destinationOffset, count)));

    /// <inheritdoc />
    protected override void SynchronizeCore() => Flush();

    /// <inheritdoc />
    protected override bool Owns(DeviceBuffer buffer) => buffer is SimBuffer b && ReferenceEquals(b.Owner, this);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        lock (_lock)
        {
            _stream.Clear();
        }
    }

    /// <summary>Queues work; work issued by an op that is running on the stream runs at once, in order.</summary>
    private void Enqueue(Action work)
    {
        lock (_lock)
        {
            if (_executingThread != Environment.CurrentManagedThreadId)
            {
                _stream.Enqueue(work);
                return;
            }
        }

        work();
    }

    private void Flush()
    {
        lock (_lock)
        {
            if (_executingThread == Environment.CurrentManagedThreadId)
            {
                return; // called from an op that is itself running on the stream: everything before it has run
            }

            if (_stream.Count > 0)
            {
                Waits++;
            }

            _executingThread = Environment.CurrentManagedThreadId;
        }

        try
        {
            while (true)
            {
                Action next;
                lock (_lock)
                {
                    if (!_stream.TryDequeue(out next!))
                    {
                        break;
                    }
                }

                next();
            }
        }
        finally
        {
            lock (_lock)
            {
                _executingThread = -1;
            }
        }
    }

    private sealed class SimBuffer(QueuedDeviceBackend owner, int capacity) : DeviceBuffer(capacity)
    {
        public readonly float[] Data = new float[capacity];

        public QueuedDeviceBackend Owner { get; } = owner;
    }
}
