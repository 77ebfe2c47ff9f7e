using System.Runtime.InteropServices;

namespace Acr.Backends.Cpu;

/// <summary>
/// Host memory of the CPU backend: a pinned float32 array whose first used element is 64-byte aligned,
/// so kernels can address it through a stable pointer and full cache lines. Instances are pooled by
/// <see cref="CpuBackend"/>; nothing outside the backend reads them.
/// </summary>
public sealed unsafe class CpuBuffer : DeviceBuffer
{
    /// <summary>Alignment of <see cref="Pointer"/> in bytes.</summary>
    internal const int Alignment = 64;

    // The array lives on the pinned object heap, so the address computed once stays valid as long as
    // this buffer references it. The slack of 16 floats lets the data start on a 64-byte boundary.
    private readonly float[] _storage;
    private readonly int _offset;

    internal CpuBuffer(CpuBackend owner, int capacity)
        : base(capacity)
    {
        Owner = owner;
        _storage = GC.AllocateUninitializedArray<float>(capacity + (Alignment / sizeof(float)), pinned: true);
        var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage));
        _offset = (int)(((Alignment - (address % Alignment)) % Alignment) / sizeof(float));
        Pointer = (float*)Unsafe.AsPointer(ref _storage[_offset]);
    }

    /// <summary>The backend that allocated this buffer.</summary>
    internal CpuBackend Owner { get; }

    /// <summary>A 64-byte-aligned pointer to element 0; valid for <see cref="DeviceBuffer.Capacity"/> elements.</summary>
    internal float* Pointer { get; }

    /// <summary>The whole buffer as a span.</summary>
    internal Span<float> Span => _storage.AsSpan(_offset, Capacity);

    /// <summary>The whole buffer as bytes.</summary>
    internal Span<byte> Bytes => MemoryMarshal.AsBytes(Span);

    /// <summary>Whether the buffer currently sits in the pool (guards against a double release).</summary>
    internal bool IsPooled { get; set; }
}
