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

    /// <summary>
    /// <c>sumDy[j] += Σ_i dy[i, j]</c> and <c>sumDyXhat[j] += Σ_i dy[i, j]·(x[i, j] − mean[j])·inv[j]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradientSums(double* sumDy, double* sumDyXhat, float* x, float* dy, float* mean, float* inv, int rows, nint stride, int width)
    {
        var j = 0;
        if (Float512.IsHardwareAccelerated)
        {
            for (; j + 32 <= width; j += 32)
            {
                Float512 m0 = Float512.Load(mean + j), m1 = Float512.Load(mean + j + 16);
                Float512 v0 = Float512.Load(inv + j), v1 = Float512.Load(inv + j + 16);
                Double512 a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Float512 g0 = default, g1 = default, t0 = default, t1 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var offset = ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, offset += stride)
                    {
                        var y0 = Float512.Load(dy + offset);
                        var y1 = Float512.Load(dy + offset + 16);
                        g0 += y0;
                        g1 += y1;
                        t0 += y0 * ((Float512.Load(x + offset) - m0) * v0);
                        t1 += y1 * ((Float512.Load(x + offset + 16) - m1) * v1);
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

        if (Float256.IsHardwareAccelerated)
        {
            for (; j + 8 <= width; j += 8)
            {
                Float256 m0 = Float256.Load(mean + j), v0 = Float256.Load(inv + j);
                Double256 a0 = default, a1 = default, b0 = default, b1 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Float256 g0 = default, t0 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var offset = ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, offset += stride)
                    {
                        var y0 = Float256.Load(dy + offset);
                        g0 += y0;
                        t0 += y0 * ((Float256.Load(x + offset) - m0) * v0);
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

    /// <summary><c>acc[j] += Σ_i TTerm(x[i, j], high[j], low[j])</c>, in float blocks of <see cref="RowBlock"/> rows folded into double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sums<TTerm>(double* acc, float* x, float* high, float* low, int rows, nint stride, int width)
        where TTerm : ITerm
    {
        var j = 0;
        if (Float512.IsHardwareAccelerated)
        {
            // Four vectors (64 channels) per strip while they fit, so the adds of one row overlap.
            for (; j + 64 <= width; j += 64)
            {
                Float512 h0 = Float512.Load(high + j), h1 = Float512.Load(high + j + 16), h2 = Float512.Load(high + j + 32), h3 = Float512.Load(high + j + 48);
                Float512 l0 = Float512.Load(low + j), l1 = Float512.Load(low + j + 16), l2 = Float512.Load(low + j + 32), l3 = Float512.Load(low + j + 48);
                Double512 d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default;
                for (var i0 = 0; i0 < rows; i0 += RowBlock)
                {
                    Float512 f0 = default, f1 = default, f2 = default, f3 = default;
                    var end = Math.Min(rows, i0 + RowBlock);
                    var p = x + ((nint)i0 * stride) + j;
                    for (var i = i0; i < end; i++, p += stride)
                    {
                        f0 += TTerm.Of(Float512.Load(p), h0, l0);
                        f1 += TTerm.Of(Float512.Load(p + 16), h1, l1);
                        f2 += TTerm.Of(Float512.Load(p + 32), h2, l2);
                        f3 += TTerm.Of(Float512.Load(p + 48), h3, l3);
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

            j = Strips<TTerm, Float512, Double512>(acc, x, high, low, rows, stride, j, width);
        }

        if (Float256.IsHardwareAccelerated)
        {
            j = Strips<TTerm, Float256, Double256>(acc, x, high, low, rows, stride, j, width);
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
                    f += TTerm.Of(Float1.Load(x + ((nint)i * stride) + j), Float1.Load(high + j), Float1.Load(low + j)).Value;
                }

                d += f;
            }

            acc[j] += d;
        }
    }

    /// <summary>
    /// <see cref="Sums{TTerm}"/> from channel <paramref name="j"/> in strips of one <typeparamref name="TFloat"/>
    /// while a whole strip fits; returns where it stopped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Strips<TTerm, TFloat, TDouble>(double* acc, float* x, float* high, float* low, int rows, nint stride, int j, int width)
        where TTerm : ITerm
        where TFloat : unmanaged, IWideningFloatLanes<TFloat, TDouble>
        where TDouble : unmanaged, IDoubleLanes<TDouble>
    {
        for (; j + TFloat.Count <= width; j += TFloat.Count)
        {
            TFloat h0 = TFloat.Load(high + j), l0 = TFloat.Load(low + j);
            TDouble d0 = default, d1 = default;
            for (var i0 = 0; i0 < rows; i0 += RowBlock)
            {
                TFloat f0 = default;
                var end = Math.Min(rows, i0 + RowBlock);
                var p = x + ((nint)i0 * stride) + j;
                for (var i = i0; i < end; i++, p += stride)
                {
                    f0 += TTerm.Of(TFloat.Load(p), h0, l0);
                }

                Fold(f0, ref d0, ref d1);
            }

            Add(acc + j, d0, d1);
        }

        return j;
    }

    /// <summary>Adds a float partial sum, widened, to its double accumulators (lower lanes to <paramref name="low"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold<TFloat, TDouble>(TFloat partial, ref TDouble low, ref TDouble high)
        where TFloat : unmanaged, IWideningFloatLanes<TFloat, TDouble>
        where TDouble : unmanaged, IDoubleLanes<TDouble>
    {
        var (l, h) = TFloat.Widen(partial);
        low += l;
        high += h;
    }

    /// <summary><c>acc[0, 2·count) += (low, high)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add<TDouble>(double* acc, TDouble low, TDouble high)
        where TDouble : unmanaged, IDoubleLanes<TDouble>
    {
        low.AddTo(acc);
        high.AddTo(acc + TDouble.Count);
    }

    /// <summary>The term one element adds to a sum, given its channel's two per-channel values.</summary>
    private interface ITerm
    {
        static abstract TLanes Of<TLanes>(TLanes x, TLanes high, TLanes low)
            where TLanes : unmanaged, IFloatLanes<TLanes>;
    }

    /// <summary><c>x − high</c> (the shift; <c>low</c> is not used).</summary>
    private readonly struct Deviation : ITerm
    {
        public static TLanes Of<TLanes>(TLanes x, TLanes high, TLanes low)
            where TLanes : unmanaged, IFloatLanes<TLanes> => x - high;
    }

    /// <summary><c>((x − high) − low)²</c>.</summary>
    private readonly struct SquaredDeviation : ITerm
    {
        public static TLanes Of<TLanes>(TLanes x, TLanes high, TLanes low)
            where TLanes : unmanaged, IFloatLanes<TLanes>
        {
            var e = x - high - low;
            return e * e;
        }
    }
}
