namespace Acr.Backends.Cpu;

/// <summary>
/// Free buffers keyed by exact capacity. Renting a size that was returned before reuses the buffer, so a
/// steady Allocate/Dispose loop allocates no buffer memory. Thread-safe; tensors may be disposed anywhere.
/// </summary>
internal sealed class BufferPool
{
    /// <summary>At most this many free buffers are kept per capacity; extra ones are left to the GC.</summary>
    private const int MaxFreePerCapacity = 256;

    private readonly Dictionary<int, Stack<CpuBuffer>> _free = [];
    private readonly Lock _sync = new();
    private bool _closed;

    /// <summary>Takes a free buffer of exactly <paramref name="capacity"/> elements, or null when none is free.</summary>
    public CpuBuffer? TryRent(int capacity)
    {
        lock (_sync)
        {
            if (_free.TryGetValue(capacity, out var stack) && stack.TryPop(out var buffer))
            {
                buffer.IsPooled = false;
                return buffer;
            }

            return null;
        }
    }

    /// <summary>Puts <paramref name="buffer"/> back. Releasing a buffer twice is ignored.</summary>
    public void Return(CpuBuffer buffer)
    {
        lock (_sync)
        {
            if (_closed || buffer.IsPooled)
            {
                return;
            }

            if (!_free.TryGetValue(buffer.Capacity, out var stack))
            {
                stack = new Stack<CpuBuffer>();
                _free.Add(buffer.Capacity, stack);
            }

            if (stack.Count < MaxFreePerCapacity)
            {
                buffer.IsPooled = true;
                stack.Push(buffer);
            }
        }
    }

    /// <summary>Drops every free buffer; later returns are ignored.</summary>
    public void Close()
    {
        lock (_sync)
        {
            _closed = true;
            _free.Clear();
        }
    }
}
