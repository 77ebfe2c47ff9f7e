namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// The ACR objective <c>Σ_i w[i]·(a[i] ≠ 0 ? anomalyTerm[i] : normalTerm[i])</c> and its backward. The
/// sum is accumulated in double (each product of two floats is exact in double) in a fixed lane order,
/// single-threaded: N is a batch size, far too small to be worth a thread hop.
/// </summary>
internal static unsafe class AcrObjective
{
    /// <summary>Returns the objective over <paramref name="n"/> rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Forward(float* normal, float* anomaly, float* isAnomaly, float* weight, int n)
    {
        var i = 0;
        double total = 0;
        if (Float512.IsHardwareAccelerated && n >= Float512.Count)
        {
            total = Forward<Float512, Double512>(normal, anomaly, isAnomaly, weight, ref i, n);
        }

        if (Float256.IsHardwareAccelerated && n - i >= Float256.Count)
        {
            total += Forward<Float256, Double256>(normal, anomaly, isAnomaly, weight, ref i, n);
        }

        for (; i < n; i++)
        {
            total += weight[i] * (double)(isAnomaly[i] != 0 ? anomaly[i] : normal[i]);
        }

        return (float)total;
    }

    /// <summary><c>dNormal (+)= a ≠ 0 ? 0 : g·w</c>; <c>dAnomaly (+)= a ≠ 0 ? g·w : 0</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(float* isAnomaly, float* weight, float gradient, float* dNormal, float* dAnomaly, int n, bool accumulate)
    {
        var i = 0;
        if (Float512.IsHardwareAccelerated)
        {
            Backward<Float512>(isAnomaly, weight, gradient, dNormal, dAnomaly, ref i, n, accumulate);
        }

        if (Float256.IsHardwareAccelerated)
        {
            Backward<Float256>(isAnomaly, weight, gradient, dNormal, dAnomaly, ref i, n, accumulate);
        }

        for (; i < n; i++)
        {
            var v = gradient * weight[i];
            var anomalous = isAnomaly[i] != 0;
            var dn = anomalous ? 0 : v;
            var da = anomalous ? v : 0;
            dNormal[i] = accumulate ? dNormal[i] + dn : dn;
            dAnomaly[i] = accumulate ? dAnomaly[i] + da : da;
        }
    }

    /// <summary>
    /// The objective's rows <c>[i, …)</c> while a whole <typeparamref name="TFloat"/> fits, in two chains of
    /// double lanes summed at the end; advances <paramref name="i"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Forward<TFloat, TDouble>(float* normal, float* anomaly, float* isAnomaly, float* weight, ref int i, int n)
        where TFloat : unmanaged, IWideningFloatLanes<TFloat, TDouble>
        where TDouble : unmanaged, IDoubleLanes<TDouble>
    {
        TDouble acc0 = TDouble.Zero, acc1 = TDouble.Zero;
        for (; i <= n - TFloat.Count; i += TFloat.Count)
        {
            var selected = TFloat.SelectWhereZero(TFloat.Load(isAnomaly + i), TFloat.Load(normal + i), TFloat.Load(anomaly + i));
            var (tl, th) = TFloat.Widen(selected);
            var (wl, wh) = TFloat.Widen(TFloat.Load(weight + i));
            acc0 += wl * tl;
            acc1 += wh * th;
        }

        return TDouble.Sum(acc0 + acc1);
    }

    /// <summary>The backward's rows <c>[i, …)</c> while a whole <typeparamref name="TFloat"/> fits; advances <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Backward<TFloat>(float* isAnomaly, float* weight, float gradient, float* dNormal, float* dAnomaly, ref int i, int n, bool accumulate)
        where TFloat : unmanaged, IFloatLanes<TFloat>
    {
        var g = TFloat.Create(gradient);
        for (; i <= n - TFloat.Count; i += TFloat.Count)
        {
            var v = g * TFloat.Load(weight + i);
            var key = TFloat.Load(isAnomaly + i);
            var dn = TFloat.SelectWhereZero(key, v, TFloat.Zero);
            var da = TFloat.SelectWhereZero(key, TFloat.Zero, v);
            (accumulate ? TFloat.Load(dNormal + i) + dn : dn).Store(dNormal + i);
            (accumulate ? TFloat.Load(dAnomaly + i) + da : da).Store(dAnomaly + i);
        }
    }
}
