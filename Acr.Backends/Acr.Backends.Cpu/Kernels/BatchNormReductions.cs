namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// The per-channel sums of batch norm, over a block of rows of an N×C matrix (rows <c>stride</c> apart),
/// channels vectorised in register strips while the rows stream past. Each sum is formed in float over
/// blocks of <see cref="RowBlock"/> rows and folded into double in row order: one float→double conversion
/// per block instead of per element, with float rounding confined to 8-term partial sums. The terms are
/// arranged so their float rounding scales with the spread of the data, not its offset: the mean sums
/// deviations from the segment's first row, the variance sums squared deviations from the mean split into
/// float high and low parts.
/// </summary>
internal static unsafe class BatchNormReductions
{
    /// <summary>Rows per float partial sum.</summary>
    public const int RowBlock = 8;

    /// <summary><c>acc[j] += Σ_i (x[i, j] − shift[j])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ShiftedSums(double* acc, float* x, float* shift, int rows, nint stride, int width)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 64 <= width; j += 64)
            {
                Vector512<float> s0 = Vector512.Load(shift + j), s1 = Vector512.Load(shift + j + 16), s2 = Vector512.Load(shift + j + 32), s3 = Vector512.Load(shift + j + 48);
                Vector512<double> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Vector512<float> f0 = default, f1 = default, f2 = default, f3 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var p = x + ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, p += stride)
                    {
                        f0 += Vector512.Load(p) - s0;
                        f1 += Vector512.Load(p + 16) - s1;
                        f2 += Vector512.Load(p + 32) - s2;
                        f3 += Vector512.Load(p + 48) - s3;
                    }

                    Fold(f0, ref d0, ref d1);
                    Fold(f1, ref d2, ref d3);
                    Fold(f2, ref d4, ref d5);
                    Fold(f3, ref d6, ref d7);
                }

                Add(acc + j, d0, d1, d2, d3, d4, d5, d6, d7);
            }

            for (; j + 16 <= width; j += 16)
            {
                var s0 = Vector512.Load(shift + j);
                Vector512<double> d0 = default, d1 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Vector512<float> f0 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var p = x + ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, p += stride)
                    {
                        f0 += Vector512.Load(p) - s0;
                    }

                    Fold(f0, ref d0, ref d1);
                }

                (Vector512.Load(acc + j) + d0).Store(acc + j);
                (Vector512.Load(acc + j + 8) + d1).Store(acc + j + 8);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= width; j += 8)
            {
                var s0 = Vector256.Load(shift + j);
                Vector256<double> d0 = default, d1 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Vector256<float> f0 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var p = x + ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, p += stride)
                    {
                        f0 += Vector256.Load(p) - s0;
                    }

                    var (lo, hi) = Vector256.Widen(f0);
                    d0 += lo;
                    d1 += hi;
                }

                (Vector256.Load(acc + j) + d0).Store(acc + j);
                (Vector256.Load(acc + j + 4) + d1).Store(acc + j + 4);
            }
        }

        for (; j < width; j++)
        {
            double d = 0;
            for (var i0 = 0; i0 < rows; i0 += RowBlock)
            {
                var f = 0f;
                var end = Math.Min(rows, i0 + RowBlock);
                for (var i = i0; i < end; i++)
                {
                    f += x[((nint)i * stride) + j] - shift[j];
                }

                d += f;
            }

            acc[j] += d;
        }
    }

    /// <summary><c>acc[j] += Σ_i ((x[i, j] − high[j]) − low[j])²</c>, the mean being <c>high + low</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SquaredDeviations(double* acc, float* x, float* high, float* low, int rows, nint stride, int width)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 64 <= width; j += 64)
            {
                Vector512<float> h0 = Vector512.Load(high + j), h1 = Vector512.Load(high + j + 16), h2 = Vector512.Load(high + j + 32), h3 = Vector512.Load(high + j + 48);
                Vector512<float> l0 = Vector512.Load(low + j), l1 = Vector512.Load(low + j + 16), l2 = Vector512.Load(low + j + 32), l3 = Vector512.Load(low + j + 48);
                Vector512<double> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Vector512<float> f0 = default, f1 = default, f2 = default, f3 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var p = x + ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, p += stride)
                    {
                        var e0 = Vector512.Load(p) - h0 - l0;
                        var e1 = Vector512.Load(p + 16) - h1 - l1;
                        var e2 = Vector512.Load(p + 32) - h2 - l2;
                        var e3 = Vector512.Load(p + 48) - h3 - l3;
                        f0 += e0 * e0;
                        f1 += e1 * e1;
                        f2 += e2 * e2;
                        f3 += e3 * e3;
                    }

                    Fold(f0, ref d0, ref d1);
                    Fold(f1, ref d2, ref d3);
                    Fold(f2, ref d4, ref d5);
                    Fold(f3, ref d6, ref d7);
                }

                Add(acc + j, d0, d1, d2, d3, d4, d5, d6, d7);
            }

            for (; j + 16 <= width; j += 16)
            {
                Vector512<float> h0 = Vector512.Load(high + j), l0 = Vector512.Load(low + j);
                Vector512<double> d0 = default, d1 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Vector512<float> f0 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var p = x + ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, p += stride)
                    {
                        var e0 = Vector512.Load(p) - h0 - l0;
                        f0 += e0 * e0;
                    }

                    Fold(f0, ref d0, ref d1);
                }

                (Vector512.Load(acc + j) + d0).Store(acc + j);
                (Vector512.Load(acc + j + 8) + d1).Store(acc + j + 8);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= width; j += 8)
            {
                Vector256<float> h0 = Vector256.Load(high + j), l0 = Vector256.Load(low + j);
                Vector256<double> d0 = default, d1 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Vector256<float> f0 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var p = x + ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, p += stride)
                    {
                        var e0 = Vector256.Load(p) - h0 - l0;
                        f0 += e0 * e0;
                    }

                    var (lo, hi) = Vector256.Widen(f0);
                    d0 += lo;
                    d1 += hi;
                }

                (Vector256.Load(acc + j) + d0).Store(acc + j);
                (Vector256.Load(acc + j + 4) + d1).Store(acc + j + 4);
            }
        }

        for (; j < width; j++)
        {
            double d = 0;
            for (var i0 = 0; i0 < rows; i0 += RowBlock)
            {
                var f = 0f;
                var end = Math.Min(rows, i0 + RowBlock);
                for (var i = i0; i < end; i++)
                {
                    var e = x[((nint)i * stride) + j] - high[j] - low[j];
                    f += e * e;
                }

                d += f;
            }

            acc[j] += d;
        }
    }

    /// <summary>
    /// <c>sumDy[j] += Σ_i dy[i, j]</c> and <c>sumDyXhat[j] += Σ_i dy[i, j]·(x[i, j] − mean[j])·inv[j]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradientSums(double* sumDy, double* sumDyXhat, float* x, float* dy, float* mean, float* inv, int rows, nint stride, int width)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 32 <= width; j += 32)
            {
                Vector512<float> m0 = Vector512.Load(mean + j), m1 = Vector512.Load(mean + j + 16);
                Vector512<float> v0 = Vector512.Load(inv + j), v1 = Vector512.Load(inv + j + 16);
                Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Vector512<float> g0 = default, g1 = default, t0 = default, t1 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var offset = ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, offset += stride)
                    {
                        var y0 = Vector512.Load(dy + offset);
                        var y1 = Vector512.Load(dy + offset + 16);
                        g0 += y0;
                        g1 += y1;
                        t0 += y0 * ((Vector512.Load(x + offset) - m0) * v0);
                        t1 += y1 * ((Vector512.Load(x + offset + 16) - m1) * v1);
                    }

                    Fold(g0, ref a0, ref a1);
                    Fold(g1, ref a2, ref a3);
                    Fold(t0, ref b0, ref b1);
                    Fold(t1, ref b2, ref b3);
                }

                (Vector512.Load(sumDy + j) + a0).Store(sumDy + j);
                (Vector512.Load(sumDy + j + 8) + a1).Store(sumDy + j + 8);
                (Vector512.Load(sumDy + j + 16) + a2).Store(sumDy + j + 16);
                (Vector512.Load(sumDy + j + 24) + a3).Store(sumDy + j + 24);
                (Vector512.Load(sumDyXhat + j) + b0).Store(sumDyXhat + j);
                (Vector512.Load(sumDyXhat + j + 8) + b1).Store(sumDyXhat + j + 8);
                (Vector512.Load(sumDyXhat + j + 16) + b2).Store(sumDyXhat + j + 16);
                (Vector512.Load(sumDyXhat + j + 24) + b3).Store(sumDyXhat + j + 24);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= width; j += 8)
            {
                Vector256<float> m0 = Vector256.Load(mean + j), v0 = Vector256.Load(inv + j);
                Vector256<double> a0 = default, a1 = default, b0 = default, b1 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Vector256<float> g0 = default, t0 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var offset = ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, offset += stride)
                    {
                        var y0 = Vector256.Load(dy + offset);
                        g0 += y0;
                        t0 += y0 * ((Vector256.Load(x + offset) - m0) * v0);
                    }

                    var (gl, gh) = Vector256.Widen(g0);
                    var (tl, th) = Vector256.Widen(t0);
                    a0 += gl;
                    a1 += gh;
                    b0 += tl;
                    b1 += th;
                }

                (Vector256.Load(sumDy + j) + a0).Store(sumDy + j);
                (Vector256.Load(sumDy + j + 4) + a1).Store(sumDy + j + 4);
                (Vector256.Load(sumDyXhat + j) + b0).Store(sumDyXhat + j);
                (Vector256.Load(sumDyXhat + j + 4) + b1).Store(sumDyXhat + j + 4);
            }
        }

        for (; j < width; j++)
        {
            double a = 0, b = 0;
            for (var i0 = 0; i0 < rows; i0 += RowBlock)
            {
                float g = 0, t = 0;
                var end = Math.Min(rows, i0 + RowBlock);
                for (var i = i0; i < end; i++)
                {
                    var offset = ((nint)i * stride) + j;
                    g += dy[offset];
                    t += dy[offset] * ((x[offset] - mean[j]) * inv[j]);
                }

                a += g;
                b += t;
            }

            sumDy[j] += a;
            sumDyXhat[j] += b;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(Vector512<float> partial, ref Vector512<double> low, ref Vector512<double> high)
    {
        var (l, h) = Vector512.Widen(partial);
        low += l;
        high += h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(double* acc, Vector512<double> d0, Vector512<double> d1, Vector512<double> d2, Vector512<double> d3,
        Vector512<double> d4, Vector512<double> d5, Vector512<double> d6, Vector512<double> d7)
    {
        (Vector512.Load(acc) + d0).Store(acc);
        (Vector512.Load(acc + 8) + d1).Store(acc + 8);
        (Vector512.Load(acc + 16) + d2).Store(acc + 16);
        (Vector512.Load(acc + 24) + d3).Store(acc + 24);
        (Vector512.Load(acc + 32) + d4).Store(acc + 32);
        (Vector512.Load(acc + 40) + d5).Store(acc + 40);
        (Vector512.Load(acc + 48) + d6).Store(acc + 48);
        (Vector512.Load(acc + 56) + d7).Store(acc + 56);
    }
}
