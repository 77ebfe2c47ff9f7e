namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>
/// A register-tiled GEMM micro-kernel and the blocking it is tuned for. It multiplies a packed
/// <c>MR×kc</c> sliver of A (for each k, MR consecutive values) by a packed <c>kc×NR</c> sliver of B (for
/// each k, NR consecutive values), accumulating every element of the tile with one fused multiply-add per k,
/// in k order, and writes <c>c[r·ldc + j] = beta == 0 ? alpha·acc : fma(alpha, acc, beta·c[r·ldc + j])</c>.
/// </summary>
/// <remarks>
/// <see cref="KC"/> fixes how K is cut into blocks and therefore the rounding of every result: it is a
/// constant of the kernel, never derived from the thread count, so results do not depend on threading.
/// </remarks>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile.</summary>
    static abstract int NR { get; }

    /// <summary>Depth of one K block (packed slivers hold at most this many k).</summary>
    static abstract int KC { get; }

    /// <summary>Preferred rows of one packed A block (a multiple of <see cref="MR"/>; sized for L2).</summary>
    static abstract int MC { get; }

    /// <summary>Computes one full tile.</summary>
    /// <param name="kc">Depth of this block, 1..KC.</param>
    /// <param name="a">Packed A sliver.</param>
    /// <param name="b">Packed B sliver.</param>
    /// <param name="c">Top-left element of the C tile.</param>
    /// <param name="ldc">Row stride of C in elements.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0 means C is not read.</param>
    static abstract void Run(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta);
}
