namespace Acr.Tensors;

/// <summary>
/// Memory owned by one compute backend: a host array for the CPU, a device allocation for a GPU.
/// Backends subclass it; nothing outside the owning backend looks inside.
/// </summary>
public abstract class DeviceBuffer
{
    /// <summary>Creates a buffer record of <paramref name="capacity"/> float32 elements.</summary>
    /// <param name="capacity">Number of float32 elements the buffer can hold.</param>
    protected DeviceBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
    }

    /// <summary>Number of float32 elements this buffer can hold.</summary>
    public int Capacity { get; }
}
