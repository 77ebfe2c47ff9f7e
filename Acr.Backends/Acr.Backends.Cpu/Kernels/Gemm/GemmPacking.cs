using System.Runtime.Intrinsics.X86;

namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>
/// Copies blocks of A and B into the sliver layouts the micro-kernels stream through. Transposition is
/// handled here, block by block, so no transposed copy of a whole matrix is ever made. Rows or columns past
/// the matrix edge are packed as zeros, so edge tiles run the same micro-kernel.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows <c>[i0, i0 + mc)</c> and depths <c>[k0, k0 + kc)</c> of op(A) into slivers of
    /// <paramref name="mr"/> rows: <c>dst[(s·mr)·kc + k·mr + r] = op(A)[i0 + s·mr + r, k0 + k]</c>.
    /// </summary>
    /// <param name="a">A as stored: M×K row-major, or K×M when <paramref name="transposed"/>.</param>
    /// <param name="lda">Row stride of the stored A.</param>
    /// <param name="transposed">Whether op(A) = Aᵀ.</param>
    /// <param name="i0">First row of op(A).</param>
    /// <param name="mc">Rows to pack (the last sliver is zero-padded to <paramref name="mr"/>).</param>
    /// <param name="k0">First depth.</param>
    /// <param name="kc">Depths to pack.</param>
    /// <param name="mr">Sliver height.</param>
    /// <param name="dst">Destination, <c>roundUp(mc, mr)·kc</c> elements.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PackA(float* a, nint lda, bool transposed, int i0, int mc, int k0, int kc, int mr, float* dst)
    {
        // op(A)[i, k] is a[k·lda + i] when transposed (stored depth by depth), else a[i·lda + k].
        PackSlivers(a, lda, depthMajor: transposed, i0, mc, k0, kc, mr, dst);
    }

    /// <summary>
    /// Packs depths <c>[k0, k0 + kc)</c> and columns <c>[j0, j0 + nc)</c> of op(B) into slivers of
    /// <paramref name="nr"/> columns: <c>dst[(t·nr)·kc + k·nr + j] = op(B)[k0 + k, j0 + t·nr + j]</c>.
    /// </summary>
    /// <param name="b">B as stored: K×N row-major, or N×K when <paramref name="transposed"/>.</param>
    /// <param name="ldb">Row stride of the stored B.</param>
    /// <param name="transposed">Whether op(B) = Bᵀ.</param>
    /// <param name="k0">First depth.</param>
    /// <param name="kc">Depths to pack.</param>
    /// <param name="j0">First column of op(B).</param>
    /// <param name="nc">Columns to pack (the last sliver is zero-padded to <paramref name="nr"/>).</param>
    /// <param name="nr">Sliver width.</param>
    /// <param name="dst">Destination, <c>roundUp(nc, nr)·kc</c> elements.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PackB(float* b, nint ldb, bool transposed, int k0, int kc, int j0, int nc, int nr, float* dst)
    {
        // op(B)[k, j] is b[k·ldb + j] unless transposed (stored depth by depth), else b[j·ldb + k].
        PackSlivers(b, ldb, depthMajor: !transposed, j0, nc, k0, kc, nr, dst);
    }

    /// <summary>
    /// Packs lines <c>[first, first + count)</c> (rows of op(A) or columns of op(B)) over depths
    /// <c>[k0, k0 + kc)</c> into slivers of <paramref name="width"/> lines:
    /// <c>dst[(s·width)·kc + k·width + l] = line first + s·width + l at depth k0 + k</c>.
    /// </summary>
    /// <param name="m">The matrix as stored.</param>
    /// <param name="ld">Its row stride.</param>
    /// <param name="depthMajor">
    /// Whether it is stored depth by depth (<c>m[k·ld + line]</c>: each depth contributes <paramref name="width"/>
    /// contiguous values, copied as strips) rather than line by line (<c>m[line·ld + k]</c>: lines contiguous in
    /// depth, transposed into the sliver).
    /// </param>
    /// <param name="first">First line.</param>
    /// <param name="count">Lines to pack (the last sliver is zero-padded to <paramref name="width"/>).</param>
    /// <param name="k0">First depth.</param>
    /// <param name="kc">Depths to pack.</param>
    /// <param name="width">Sliver width.</param>
    /// <param name="dst">Destination, <c>roundUp(count, width)·kc</c> elements.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackSlivers(float* m, nint ld, bool depthMajor, int first, int count, int k0, int kc, int width, float* dst)
    {
        for (var s = 0; s < count; s += width)
        {
            var lines = Math.Min(width, count - s);
            var d = dst + ((nint)s * kc);
            if (depthMajor)
            {
                CopyStrips(m + ((nint)k0 * ld) + first + s, ld, lines, kc, width, d);
            }
            else
            {
                Transpose(m + ((nint)(first + s) * ld) + k0, ld, lines, kc, width, d);
            }
        }
    }

    /// <summary>
    /// <c>dst[k·width + x] = x &lt; count ? src[k·stride + x] : 0</c> for k in <c>[0, depth)</c>:
    /// contiguous strips copied one under another.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyStrips(float* src, nint stride, int count, int depth, int width, float* dst)
    {
        if (count == width && width % 16 == 0 && Vector512.IsHardwareAccelerated)
        {
            for (var k = 0; k < depth; k++, src += stride, dst += width)
            {
                for (var x = 0; x < width; x += 16)
                {
                    Vector512.Store(Vector512.Load(src + x), dst + x);
                }
            }

            return;
        }

        if (count == width && width % 8 == 0 && Vector256.IsHardwareAccelerated)
        {
            for (var k = 0; k < depth; k++, src += stride, dst += width)
            {
                for (var x = 0; x < width; x += 8)
                {
                    Vector256.Store(Vector256.Load(src + x), dst + x);
                }
            }

            return;
        }

        for (var k = 0; k < depth; k++, src += stride, dst += width)
        {
            var x = 0;
            for (; x < count; x++)
            {
                dst[x] = src[x];
            }

            for (; x < width; x++)
            {
                dst[x] = 0;
            }
        }
    }

    /// <summary>
    /// <c>dst[k·width + x] = x &lt; count ? src[x·stride + k] : 0</c> for k in <c>[0, depth)</c>:
    /// <paramref name="count"/> contiguous lines of <paramref name="depth"/> values interleaved.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* src, nint stride, int count, int depth, int width, float* dst)
    {
        var x = 0;
        if (Avx.IsSupported)
        {
            // 8 lines at a time, 8 depths at a time, through an 8×8 register transpose.
            for (; x + 8 <= count; x += 8)
            {
                var k = 0;
                for (; k + 8 <= depth; k += 8)
                {
                    Transpose8x8(src + ((nint)x * stride) + k, stride, dst + ((nint)k * width) + x, width);
                }

                for (; k < depth; k++)
                {
                    for (var l = 0; l < 8; l++)
                    {
                        dst[((nint)k * width) + x + l] = src[((nint)(x + l) * stride) + k];
                    }
                }
            }
        }

        for (; x < count; x++)
        {
            var line = src + ((nint)x * stride);
            var d = dst + x;
            for (var k = 0; k < depth; k++)
            {
                d[(nint)k * width] = line[k];
            }
        }

        for (; x < width; x++)
        {
            var d = dst + x;
            for (var k = 0; k < depth; k++)
            {
                d[(nint)k * width] = 0;
            }
        }
    }

    /// <summary>Transposes the 8×8 block at <paramref name="src"/> (row stride <paramref name="stride"/>) into <paramref name="dst"/> (row stride <paramref name="ldd"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint stride, float* dst, nint ldd)
    {
        var r0 = Vector256.Load(src);
        var r1 = Vector256.Load(src + stride);
        var r2 = Vector256.Load(src + (2 * stride));
        var r3 = Vector256.Load(src + (3 * stride));
        var r4 = Vector256.Load(src + (4 * stride));
        var r5 = Vector256.Load(src + (5 * stride));
        var r6 = Vector256.Load(src + (6 * stride));
        var r7 = Vector256.Load(src + (7 * stride));

        // Stage 1: interleave pairs of lines (32-bit granules, within 128-bit lanes).
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        // Stage 2: interleave pairs of pairs (64-bit granules).
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);

        // Stage 3: combine 128-bit lanes.
        Avx.Permute2x128(u0, u4, 0x20).Store(dst);
        Avx.Permute2x128(u1, u5, 0x20).Store(dst + ldd);
        Avx.Permute2x128(u2, u6, 0x20).Store(dst + (2 * ldd));
        Avx.Permute2x128(u3, u7, 0x20).Store(dst + (3 * ldd));
        Avx.Permute2x128(u0, u4, 0x31).Store(dst + (4 * ldd));
        Avx.Permute2x128(u1, u5, 0x31).Store(dst + (5 * ldd));
        Avx.Permute2x128(u2, u6, 0x31).Store(dst + (6 * ldd));
        Avx.Permute2x128(u3, u7, 0x31).Store(dst + (7 * ldd));
    }
}
