using System.Runtime.InteropServices;

namespace Acr.Backends.Cpu;

/// <summary>
/// Growable scratch memory for kernels: a pinned array whose usable part starts on a 64-byte boundary,
/// reached through a stable pointer. Grows (never shrinks) on demand, so steady-state calls allocate nothing.
/// Not thread-safe: each instance belongs to one worker or is used under the backend's kernel lock.
/// </summary>
internal sealed unsafe class AlignedArray<T>
    where T : unmanaged
{
    private T[] _storage = [];

    /// <summary>The aligned start; valid for <see cref="Length"/> elements.</summary>
    public T* Pointer { get; private set; }

    /// <summary>Usable elements.</summary>
    public int Length { get; private set; }

    /// <summary>Returns a pointer to at least <paramref name="length"/> elements (contents unspecified).</summary>
    public T* Ensure(int length)
    {
        if (length > Length)
        {
            var slack = CpuBuffer.Alignment / sizeof(T);
            var capacity = Math.Max(length, Length + (Length / 2));
            _storage = GC.AllocateUninitializedArray<T>(capacity + slack, pinned: true);
            var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage));
            var offset = (int)(((CpuBuffer.Alignment - (address % CpuBuffer.Alignment)) % CpuBuffer.Alignment) / (nuint)sizeof(T));
            Pointer = (T*)Unsafe.AsPointer(ref _storage[offset]);
            Length = capacity;
        }

        return Pointer;
    }
}
