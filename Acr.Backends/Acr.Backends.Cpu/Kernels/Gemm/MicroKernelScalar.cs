namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>
/// Portable fallback micro-kernel for machines without 256-bit SIMD: a 4×4 tile in scalar registers,
/// accumulated with <see cref="MathF.FusedMultiplyAdd"/> like the vector kernels.
/// </summary>
internal readonly unsafe struct MicroKernelScalar : IGemmMicroKernel
{
    private const int Size = 4;

    /// <inheritdoc />
    public static int MR => Size;

    /// <inheritdoc />
    public static int NR => Size;

    /// <inheritdoc />
    public static int KC => 256;

    /// <inheritdoc />
    public static int MC => 64;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        var acc = stackalloc float[Size * Size];
        for (var i = 0; i < Size * Size; i++)
        {
            acc[i] = 0;
        }

        for (nint k = 0; k < kc; k++, a += Size, b += Size)
        {
            for (var r = 0; r < Size; r++)
            {
                var ar = a[r];
                var row = acc + (r * Size);
                row[0] = MathF.FusedMultiplyAdd(ar, b[0], row[0]);
                row[1] = MathF.FusedMultiplyAdd(ar, b[1], row[1]);
                row[2] = MathF.FusedMultiplyAdd(ar, b[2], row[2]);
                row[3] = MathF.FusedMultiplyAdd(ar, b[3], row[3]);
            }
        }

        for (var r = 0; r < Size; r++)
        {
            var row = acc + (r * Size);
            var cr = c + (r * ldc);
            for (var x = 0; x < Size; x++)
            {
                cr[x] = beta == 0 ? alpha * row[x] : MathF.FusedMultiplyAdd(alpha, row[x], beta * cr[x]);
            }
        }
    }
}
