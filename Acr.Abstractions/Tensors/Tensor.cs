namespace Acr.Tensors;

/// <summary>
/// A dense, row-major tensor of 4-byte elements (<see cref="DataType.Float32"/> by default) living in the
/// memory of one <see cref="ComputeBackend"/>. A tensor is a handle: its elements are read and written
/// only through its backend (<see cref="ComputeBackend.Upload(ReadOnlySpan{float}, Tensor)"/>,
/// <see cref="ComputeBackend.Download(Tensor, Span{float})"/> and the ops). Only a backend creates tensors
/// (<see cref="ComputeBackend.Allocate"/>).
/// </summary>
/// <remarks>
/// Disposing returns the memory to the backend's pool. It may be called from any thread, also while
/// work that uses the tensor is still queued: the backend reuses the memory only after that work has
/// finished (see <see cref="ComputeBackend"/>, "Stream semantics"). Disposing twice is harmless.
/// </remarks>
public sealed class Tensor : IDisposable
{
    private readonly DeviceBuffer _buffer;
    private readonly byte _dataType; // with the flag and the shape, keeps the handle at 64 bytes
    private int _disposed;

    internal Tensor(ComputeBackend backend, DeviceBuffer buffer, TensorShape shape, DataType dataType, bool ownsBuffer = true)
    {
        Backend = backend;
        _buffer = buffer;
        Shape = shape;
        _dataType = (byte)dataType;
        IsView = !ownsBuffer;
    }

    /// <summary>The backend that owns this tensor's memory.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>The tensor's shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>The element type.</summary>
    public DataType DataType => (DataType)_dataType;

    /// <summary>Number of elements (<c>Shape.Length</c>).</summary>
    public int Length => Shape.Length;

    /// <summary>The backend memory; only the owning backend looks inside.</summary>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public DeviceBuffer Buffer => IsDisposed ? throw new ObjectDisposedException(nameof(Tensor), "This tensor was disposed; its memory went back to the backend's pool.") : _buffer;

    /// <summary>
    /// Whether this tensor is a view of another's memory under a different shape (<see cref="ComputeBackend.View"/>):
    /// disposing a view releases nothing, and a view is valid only while the tensor it views is.
    /// </summary>
    public bool IsView { get; }

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// The buffer even after disposal: work queued before the dispose still runs on it (the release is ordered
    /// after that work), so a stream that executes later resolves its tensors through this.
    /// </summary>
    internal DeviceBuffer QueuedBuffer => _buffer;

    /// <summary>Downloads the elements of a <see cref="DataType.Float32"/> tensor to a new array (waits for the work queued before).</summary>
    /// <exception cref="ArgumentException">The tensor holds integers.</exception>
    public float[] ToArray()
    {
        var result = new float[Length];
        Backend.Download(this, result);
        return result;
    }

    /// <summary>Downloads the elements of a <see cref="DataType.Int32"/> tensor to a new array (waits for the work queued before).</summary>
    /// <exception cref="ArgumentException">The tensor holds floats.</exception>
    public int[] ToInt32Array()
    {
        var result = new int[Length];
        Backend.Download(this, result);
        return result;
    }

    /// <summary>Returns the memory to the backend's pool, ordered after the work already queued on it (a view releases nothing). Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && !IsView)
        {
            Backend.Release(_buffer);
        }
    }

    /// <inheritdoc />
    public override string ToString() => DataType == DataType.Float32 ? $"Tensor{Shape} on {Backend.Name}" : $"Tensor{Shape} of {DataType} on {Backend.Name}";
}
