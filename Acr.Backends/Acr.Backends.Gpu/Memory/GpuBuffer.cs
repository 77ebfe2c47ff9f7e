namespace Acr.Backends.Gpu.Memory;

/// <summary>One device allocation of a <see cref="GpuBackend"/>: <see cref="DeviceBuffer.Capacity"/> 4-byte elements (floats or ints).</summary>
internal sealed class GpuBuffer : DeviceBuffer
{
    public GpuBuffer(GpuBackend owner, MemoryBuffer1D<float, Stride1D.Dense> memory)
        : base(checked((int)memory.Length))
    {
        Owner = owner;
        Memory = memory;
    }

    /// <summary>The backend that allocated it.</summary>
    public GpuBackend Owner { get; }

    /// <summary>The ILGPU buffer.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Memory { get; }

    /// <summary>Bytes of device memory held.</summary>
    public long Bytes => Memory.LengthInBytes;

    /// <summary>Whether it sits in the pool's free list (guards against a double release).</summary>
    public bool IsFree { get; set; }

    /// <summary>Whether its device memory was returned to the driver.</summary>
    public bool IsFreed { get; private set; }

    /// <summary>The first <paramref name="count"/> elements as floats.</summary>
    public ArrayView<float> Floats(int count) => Memory.View.SubView(0, count);

    /// <summary>Returns the memory to the driver (once).</summary>
    public void Free()
    {
        if (!IsFreed)
        {
            IsFreed = true;
            Memory.Dispose();
        }
    }
}
