using Acr.Compute;

namespace Acr.Tensors;

/// <summary>
/// A dense, row-major float32 tensor living in the memory of one <see cref="IComputeBackend"/>.
/// A tensor is a handle: its elements are read and written only through its backend
/// (<see cref="IComputeBackend.Upload"/>, <see cref="IComputeBackend.Download"/> and kernels).
/// Disposing returns its buffer to the backend's pool.
/// </summary>
public sealed class Tensor : IDisposable
{
    private DeviceBuffer? _buffer;

    /// <summary>Wraps <paramref name="buffer"/> as a tensor of <paramref name="shape"/>. Backends call this; users call <see cref="IComputeBackend.Allocate"/>.</summary>
    /// <param name="backend">The backend that owns <paramref name="buffer"/>.</param>
    /// <param name="buffer">Backend memory of at least <c>shape.Length</c> elements.</param>
    /// <param name="shape">The tensor's shape.</param>
    /// <exception cref="ArgumentException">The buffer is smaller than the shape.</exception>
    public Tensor(IComputeBackend backend, DeviceBuffer buffer, TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Capacity < shape.Length)
        {
            throw new ArgumentException($"A buffer of {buffer.Capacity} elements cannot hold a tensor of shape {shape}.", nameof(buffer));
        }

        Backend = backend;
        _buffer = buffer;
        Shape = shape;
    }

    /// <summary>The backend that owns this tensor's memory.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>The tensor's shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>Number of elements (<c>Shape.Length</c>).</summary>
    public int Length => Shape.Length;

    /// <summary>The backend memory.</summary>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public DeviceBuffer Buffer => _buffer ?? throw new ObjectDisposedException(nameof(Tensor), "This tensor was disposed; its memory went back to the backend's pool.");

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => _buffer is null;

    /// <summary>Downloads the elements to a new array (synchronises with the backend).</summary>
    public float[] ToArray()
    {
        var result = new float[Length];
        Backend.Download(this, result);
        return result;
    }

    /// <summary>Returns the memory to the backend's pool. Idempotent.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            Backend.Release(buffer);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"Tensor{Shape} on {Backend.Name}";
}
