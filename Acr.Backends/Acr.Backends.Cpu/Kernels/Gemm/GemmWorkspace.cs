namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>
/// Pack buffers reused by every GEMM of one backend: one private region per worker (a packed A block
/// plus an edge tile) and one shared panel of packed B. Grown on first use, never per call.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    private readonly AlignedArray<float> _workers = new();
    private readonly AlignedArray<float> _panel = new();

    /// <summary>Per-worker regions of <paramref name="stride"/> floats each, for <paramref name="threads"/> workers.</summary>
    public float* Workers(int threads, int stride) => _workers.Ensure(threads * stride);

    /// <summary>The shared packed-B panel, at least <paramref name="length"/> floats.</summary>
    public float* Panel(int length) => _panel.Ensure(length);
}
