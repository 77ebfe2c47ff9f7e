using System.Numerics;

namespace Acr.Backends.Gpu.Memory;

/// <summary>
/// A backend's device memory: free buffers kept per capacity bucket (powers of two up to 1024 elements, then four
/// buckets per octave, so at most 25% slack), reused by later requests of the same bucket, so a steady
/// allocate/dispose loop makes no driver allocation. Returning needs no wait: the stream is in order, so work queued
/// after a reuse runs after the work queued before the release. Memory goes back to the driver only at
/// <see cref="Trim"/> (on an allocation failure) and <see cref="Close"/>, both after the stream has drained.
/// Not thread-safe: the backend calls it under its device lock.
/// </summary>
internal sealed class DeviceMemoryPool
{
    private readonly Dictionary<int, Stack<GpuBuffer>> _free = [];
    private readonly HashSet<GpuBuffer> _live = [];
    private bool _closed;

    /// <summary>Bytes held from the driver (in use and free).</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>How many driver allocations the pool has made.</summary>
    public int DriverAllocations { get; private set; }

    /// <summary>Whether <see cref="Close"/> has run.</summary>
    public bool IsClosed => _closed;

    /// <summary>The capacity a request of <paramref name="elements"/> is served with.</summary>
    public static int Bucket(int elements)
    {
        if (elements <= 64)
        {
            return 64;
        }

        if (elements <= 1024)
        {
            return (int)BitOperations.RoundUpToPowerOf2((uint)elements);
        }

        var step = (int)(BitOperations.RoundUpToPowerOf2((uint)elements) / 8);
        return checked((elements + step - 1) / step * step);
    }

    /// <summary>A free buffer of exactly <paramref name="capacity"/> elements, or null.</summary>
    public GpuBuffer? TryRent(int capacity)
    {
        if (_free.TryGetValue(capacity, out var stack) && stack.TryPop(out var buffer))
        {
            buffer.IsFree = false;
            return buffer;
        }

        return null;
    }

    /// <summary>Takes ownership of a new driver allocation (handed out at once).</summary>
    public void Add(GpuBuffer buffer)
    {
        _live.Add(buffer);
        AllocatedBytes += buffer.Bytes;
        DriverAllocations++;
    }

    /// <summary>Puts a buffer back (a second release, or one after <see cref="Close"/>, is ignored).</summary>
    public void Return(GpuBuffer buffer)
    {
        if (_closed || buffer.IsFree || buffer.IsFreed)
        {
            return;
        }

        buffer.IsFree = true;
        if (!_free.TryGetValue(buffer.Capacity, out var stack))
        {
            stack = new Stack<GpuBuffer>();
            _free.Add(buffer.Capacity, stack);
        }

        stack.Push(buffer);
    }

    /// <summary>Returns every free buffer to the driver (the stream must have drained); the bytes freed.</summary>
    public long Trim()
    {
        long freed = 0;
        foreach (var stack in _free.Values)
        {
            while (stack.TryPop(out var buffer))
            {
                freed += buffer.Bytes;
                _live.Remove(buffer);
                buffer.Free();
            }
        }

        AllocatedBytes -= freed;
        return freed;
    }

    /// <summary>Returns every buffer, free or still held by a tensor, to the driver; the bytes freed. Later returns are ignored.</summary>
    public long Close()
    {
        _closed = true;
        var freed = AllocatedBytes;
        foreach (var buffer in _live)
        {
            buffer.Free();
        }

        _live.Clear();
        _free.Clear();
        AllocatedBytes = 0;
        return freed;
    }
}
