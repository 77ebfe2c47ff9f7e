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
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<double> acc0 = Vector512<double>.Zero, acc1 = Vector512<double>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var selected = Vector512.ConditionalSelect(
                    Vector512.Equals(Vector512.Load(isAnomaly + i), Vector512<float>.Zero),
                    Vector512.Load(normal + i),
                    Vector512.Load(anomaly + i));
                var (tl, th) = Vector512.Widen(selected);
                var (wl, wh) = Vector512.Widen(Vector512.Load(weight + i));
                acc0 += wl * tl;
                acc1 += wh * th;
            }

            total = Vector512.Sum(acc0 + acc1);
        }

        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            Vector256<double> acc0 = Vector256<double>.Zero, acc1 = Vector256<double>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var selected = Vector256.ConditionalSelect(
                    Vector256.Equals(Vector256.Load(isAnomaly + i), Vector256<float>.Zero),
                    Vector256.Load(normal + i),
                    Vector256.Load(anomaly + i));
                var (tl, th) = Vector256.Widen(selected);
                var (wl, wh) = Vector256.Widen(Vector256.Load(weight + i));
                acc0 += wl * tl;
                acc1 += wh * th;
            }

            total += Vector256.Sum(acc0 + acc1);
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
        if (Vector512.IsHardwareAccelerated)
        {
            var g = Vector512.Create(gradient);
            for (; i <= n - 16; i += 16)
            {
                var v = g * Vector512.Load(weight + i);
                var normal = Vector512.Equals(Vector512.Load(isAnomaly + i), Vector512<float>.Zero);
                var dn = Vector512.ConditionalSelect(normal, v, Vector512<float>.Zero);
                var da = Vector512.ConditionalSelect(normal, Vector512<float>.Zero, v);
                (accumulate ? Vector512.Load(dNormal + i) + dn : dn).Store(dNormal + i);
                (accumulate ? Vector512.Load(dAnomaly + i) + da : da).Store(dAnomaly + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var g = Vector256.Create(gradient);
            for (; i <= n - 8; i += 8)
            {
                var v = g * Vector256.Load(weight + i);
                var normal = Vector256.Equals(Vector256.Load(isAnomaly + i), Vector256<float>.Zero);
                var dn = Vector256.ConditionalSelect(normal, v, Vector256<float>.Zero);
                var da = Vector256.ConditionalSelect(normal, Vector256<float>.Zero, v);
                (accumulate ? Vector256.Load(dNormal + i) + dn : dn).Store(dNormal + i);
                (accumulate ? Vector256.Load(dAnomaly + i) + da : da).Store(dAnomaly + i);
            }
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
}
