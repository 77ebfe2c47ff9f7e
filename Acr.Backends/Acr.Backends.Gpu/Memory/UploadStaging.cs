using System.Runtime.InteropServices;

namespace Acr.Backends.Gpu.Memory;

/// <summary>
/// Page-locked host memory that uploads pass through: an upload copies the caller's span into the next free bytes of a
/// staging page and enqueues an asynchronous copy from there, so the caller may reuse its span as soon as Upload
/// returns and the host never waits for the device. Pages are reused once the stream has drained (every download and
/// synchronise drains it); when the pages in flight reach <see cref="MaxBytes"/>, the backend drains the stream first.
/// Pages are page-locked with the accelerator (CUDA registers them; elsewhere the lock is a no-op) where the driver allows.
/// Not thread-safe: the backend calls it under its device lock.
/// </summary>
internal sealed unsafe class UploadStaging(Accelerator accelerator) : IDisposable
{
    /// <summary>The smallest page.</summary>
    public const int PageBytes = 1 << 20;

    /// <summary>The most staging memory kept; a larger upload is copied synchronously instead.</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>From this size on, the copy into staging memory is split over several cores (one core copies ~10 GB/s,
    /// less than a PCIe 4 or 5 link moves, so a large upload would otherwise be bound by the host copy).</summary>
    public const int ParallelCopyBytes = 8 << 20;

    /// <summary>The smallest share of a parallel copy.</summary>
    private const int ParallelChunkBytes = 2 << 20;

    private readonly List<Page> _pages = [];
    private int _page;
    private long _offset;

    /// <summary>Bytes of staging memory held.</summary>
    public long Capacity { get; private set; }

    /// <summary>
    /// Copies <paramref name="source"/> into staging memory, or returns null when it does not fit in what is free
    /// (drain the stream, <see cref="Recycle"/>, retry; a request beyond <see cref="MaxBytes"/> never fits).
    /// </summary>
    public byte* TryStage(ReadOnlySpan<byte> source)
    {
        var length = source.Length;
        if (length > MaxBytes)
        {
            return null;
        }

        // 16-byte alignment for the copy engines.
        var need = (length + 15) & ~15L;
        while (_page < _pages.Count)
        {
            var page = _pages[_page];
            if (_offset + need <= page.Bytes)
            {
                var destination = page.Pointer + _offset;
                Copy(source, destination);
                _offset += need;
                return destination;
            }

            _page++;
            _offset = 0;
        }

        var size = Math.Max(PageBytes, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)need));
        if (Capacity + size > MaxBytes)
        {
            return null;
        }

        _pages.Add(new Page(accelerator, size));
        Capacity += size;
        return TryStage(source);
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/>, over several cores when it is large.</summary>
    private static void Copy(ReadOnlySpan<byte> source, byte* destination)
    {
        var workers = Math.Min(Environment.ProcessorCount, Math.Min(8, source.Length / ParallelChunkBytes));
        if (source.Length < ParallelCopyBytes || workers < 2)
        {
            source.CopyTo(new Span<byte>(destination, source.Length));
            return;
        }

        fixed (byte* from = source)
        {
            var start = (nint)from;
            var to = (nint)destination;
            long length = source.Length;
            var share = (length + workers - 1) / workers;
            Parallel.For(0, workers, w =>
            {
                var offset = w * share;
                var count = Math.Min(share, length - offset);
                if (count > 0)
                {
                    Buffer.MemoryCopy((byte*)(start + (nint)offset), (byte*)(to + (nint)offset), count, count);
                }
            });
        }
    }

    /// <summary>Makes every page free again; call only after the stream has drained.</summary>
    public void Recycle()
    {
        _page = 0;
        _offset = 0;
    }

    /// <summary>Unlocks and frees the pages (after the stream has drained).</summary>
    public void Dispose()
    {
        foreach (var page in _pages)
        {
            page.Dispose();
        }

        _pages.Clear();
        Capacity = 0;
    }

    private sealed class Page : IDisposable
    {
        private readonly PageLockScope<byte>? _lock;

        public Page(Accelerator accelerator, long bytes)
        {
            Bytes = bytes;
            Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
            try
            {
                _lock = accelerator.CreatePageLockFromPinned<byte>((IntPtr)Pointer, bytes);
            }
            catch (Exception e) when (e is NotSupportedException or AcceleratorException or InvalidOperationException)
            {
                // Pageable staging still decouples the caller's span; only the copy is slower.
                _lock = null;
            }
        }

        public byte* Pointer { get; }

        public long Bytes { get; }

        public void Dispose()
        {
            _lock?.Dispose();
            NativeMemory.AlignedFree(Pointer);
        }
    }
}
