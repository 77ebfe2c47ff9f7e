using System.Runtime.InteropServices;

namespace Acr.Compute;

/// <summary>
/// Host views of an op's tensors, for code that runs on the host: the scalar references, and ops run on
/// a backend without a kernel. On a host-memory backend the views are the tensors' own memory; otherwise
/// each tensor touched is downloaded once, and the ones asked for with a writable view are uploaded back
/// after the op. Two arguments that share memory get the same view, so in-place ops behave as on a device.
/// </summary>
public sealed class HostTensors
{
    private readonly ComputeBackend _backend;
    private readonly bool _staged;
    private readonly List<(DeviceBuffer Buffer, Tensor Tensor, float[] Data, bool Written)>? _copies;

    internal HostTensors(ComputeBackend backend, bool staged)
    {
        _backend = backend;
        _staged = staged;
        _copies = staged ? [] : null;
    }

    /// <summary>A read-only view of a float tensor.</summary>
    /// <param name="tensor">The tensor.</param>
    public ReadOnlySpan<float> Read(Tensor tensor) => View(tensor, write: false);

    /// <summary>A writable view of a float tensor (its current contents, for read-modify-write).</summary>
    /// <param name="tensor">The tensor.</param>
    public Span<float> Write(Tensor tensor) => View(tensor, write: true);

    /// <summary>A read-only view of an integer tensor.</summary>
    /// <param name="tensor">The tensor.</param>
    public ReadOnlySpan<int> ReadInt32(Tensor tensor) => MemoryMarshal.Cast<float, int>(RawView(tensor, write: false));

    /// <summary>A writable view of an integer tensor.</summary>
    /// <param name="tensor">The tensor.</param>
    public Span<int> WriteInt32(Tensor tensor) => MemoryMarshal.Cast<float, int>(RawView(tensor, write: true));

    private Span<float> View(Tensor tensor, bool write)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DataType != DataType.Float32)
        {
            throw new ArgumentException($"A {tensor.DataType} tensor read as floats.", nameof(tensor));
        }

        return RawView(tensor, write);
    }

    private Span<float> RawView(Tensor tensor, bool write)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_staged)
        {
            return tensor.DataType == DataType.Float32 ? _backend.HostFloats(tensor) : MemoryMarshal.Cast<int, float>(_backend.HostInt32s(tensor));
        }

        // The tensor was validated when the op was queued; on a stream the op may run after the handle was
        // disposed, while its buffer is still reserved for the queued work.
        var buffer = tensor.QueuedBuffer;
        for (var i = 0; i < _copies!.Count; i++)
        {
            var c = _copies[i];
            if (ReferenceEquals(c.Buffer, buffer))
            {
                if (c.Data.Length < tensor.Length)
                {
                    throw new InvalidOperationException("Two tensors of different lengths share one buffer.");
                }

                if (write && !c.Written)
                {
                    _copies[i] = c with { Written = true };
                }

                return c.Data.AsSpan(0, tensor.Length);
            }
        }

        var data = new float[tensor.Length];
        _backend.DownloadQueued(buffer, MemoryMarshal.AsBytes(data.AsSpan()));
        _copies.Add((buffer, tensor, data, write));
        return data;
    }

    /// <summary>Uploads every tensor that was asked for with a writable view.</summary>
    internal void Commit()
    {
        if (!_staged)
        {
            return;
        }

        foreach (var (buffer, _, data, written) in _copies!)
        {
            if (written)
            {
                _backend.UploadQueued(MemoryMarshal.AsBytes(data.AsSpan()), buffer);
            }
        }
    }
}
