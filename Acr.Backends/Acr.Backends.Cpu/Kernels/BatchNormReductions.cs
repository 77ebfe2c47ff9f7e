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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ShiftedSums(double* acc, float* x, float* shift, int rows, nint stride, int width) =>
        Sums<Deviation>(acc, x, shift, shift, rows, stride, width);

    /// <summary><c>acc[j] += Σ_i ((x[i, j] − high[j]) − low[j])²</c>, the mean being <c>high + low</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SquaredDeviations(double* acc, float* x, float* high, float* low, int rows, nint stride, int width) =>
        Sums<SquaredDeviation>(acc, x, high, low, rows, stride, width);

    /// <summary><c>acc[j] += Σ_i TTerm(x[i, j], high[j], low[j])</c>, in float blocks of <see cref="RowBlock"/> rows folded into double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sums<TTerm>(double* acc, float* x, float* high, float* low, int rows, nint stride, int width)
        where TTerm : ITerm
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
                        f0 += TTerm.Of(Vector512.Load(p), h0, l0);
                        f1 += TTerm.Of(Vector512.Load(p + 16), h1, l1);
                        f2 += TTerm.Of(Vector512.Load(p + 32), h2, l2);
                        f3 += TTerm.Of(Vector512.Load(p + 48), h3, l3);
                    }

                    Fold(f0, ref d0, ref d1);
                    Fold(f1, ref d2, ref d3);
                    Fold(f2, ref d4, ref d5);
                    Fold(f3, ref d6, ref d7);
                }

                Add(acc + j, d0, d1);
                Add(acc + j + 16, d2, d3);
                Add(acc + j + 32, d4, d5);
                Add(acc + j + 48, d6, d7);
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
                        f0 += TTerm.Of(Vector512.Load(p), h0, l0);
                    }

                    Fold(f0, ref d0, ref d1);
                }

                Add(acc + j, d0, d1);
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
                        f0 += TTerm.Of(Vector256.Load(p), h0, l0);
                    }

                    Fold(f0, ref d0, ref d1);
                }

                Add(acc + j, d0, d1);
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
                    f += TTerm.Of(x[((nint)i * stride) + j], high[j], low[j]);
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

                Add(sumDy + j, a0, a1);
                Add(sumDy + j + 16, a2, a3);
                Add(sumDyXhat + j, b0, b1);
                Add(sumDyXhat + j + 16, b2, b3);
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

                    Fold(g0, ref a0, ref a1);
                    Fold(t0, ref b0, ref b1);
                }

                Add(sumDy + j, a0, a1);
                Add(sumDyXhat + j, b0, b1);
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

    /// <summary>Adds a float partial sum, widened, to its double accumulators (lanes 0–7 to <paramref name="low"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(Vector512<float> partial, ref Vector512<double> low, ref Vector512<double> high)
    {
        var (l, h) = Vector512.Widen(partial);
        low += l;
        high += h;
    }

    /// <summary>Adds a float partial sum, widened, to its double accumulators (lanes 0–3 to <paramref name="low"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(Vector256<float> partial, ref Vector256<double> low, ref Vector256<double> high)
    {
        var (l, h) = Vector256.Widen(partial);
        low += l;
        high += h;
    }

    /// <summary><c>acc[0, 16) += (low, high)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(double* acc, Vector512<double> low, Vector512<double> high)
    {
        (Vector512.Load(acc) + low).Store(acc);
        (Vector512.Load(acc + 8) + high).Store(acc + 8);
    }

    /// <summary><c>acc[0, 8) += (low, high)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(double* acc, Vector256<double> low, Vector256<double> high)
    {
        (Vector256.Load(acc) + low).Store(acc);
        (Vector256.Load(acc + 4) + high).Store(acc + 4);
    }

    /// <summary>The term one element adds to a sum, given its channel's two per-channel values.</summary>
    private interface ITerm
    {
        static abstract float Of(float x, float high, float low);

        static abstract Vector256<float> Of(Vector256<float> x, Vector256<float> high, Vector256<float> low);

        static abstract Vector512<float> Of(Vector512<float> x, Vector512<float> high, Vector512<float> low);
    }

    /// <summary><c>x − high</c> (the shift; <c>low</c> is not used).</summary>
    private readonly struct Deviation : ITerm
    {
        public static float Of(float x, float high, float low) => x - high;

        public static Vector256<float> Of(Vector256<float> x, Vector256<float> high, Vector256<float> low) => x - high;

        public static Vector512<float> Of(Vector512<float> x, Vector512<float> high, Vector512<float> low) => x - high;
    }

    /// <summary><c>((x − high) − low)²</c>.</summary>
    private readonly struct SquaredDeviation : ITerm
    {
        public static float Of(float x, float high, float low) => Square(x - high - low);

        public static Vector256<float> Of(Vector256<float> x, Vector256<float> high, Vector256<float> low) => Square(x - high - low);

        public static Vector512<float> Of(Vector512<float> x, Vector512<float> high, Vector512<float> low) => Square(x - high - low);

        private static float Square(float e) => e * e;

        private static Vector256<float> Square(Vector256<float> e) => e * e;

        private static Vector512<float> Square(Vector512<float> e) => e * e;
    }
}
