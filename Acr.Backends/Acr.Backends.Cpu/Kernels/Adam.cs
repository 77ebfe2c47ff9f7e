namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// Fused Adam (PyTorch's <c>Adam</c>, not <c>AdamW</c>): one pass that reads p, g, m, v and writes p, m, v,
/// in float arithmetic with the bias corrections computed once in double, as PyTorch does:
/// <c>g' = g + wd·p; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²;
/// p = p − step·(m / (√v / √(1−β2^t) + ε))</c> with <c>step = lr / (1 − β1^t)</c>.
/// </summary>
internal static unsafe class Adam
{
    /// <summary>Applies one step to <paramref name="n"/> parameters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update(WorkerPool pool, float* p, float* g, float* m, float* v, int n, AdamStep step)
    {
        var c = new Constants(step);
        var task = new AdamTask(c, p, g, m, v, n);
        if (n < ElementWiseDriver.ParallelThreshold || pool.Threads == 1)
        {
            Apply(c, p, g, m, v, n);
        }
        else
        {
            pool.Run(ref task, ElementWiseDriver.ChunkCount(n));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply(in Constants c, float* p, float* g, float* m, float* v, nint n)
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var b1 = Vector512.Create(c.Beta1);
            var b1c = Vector512.Create(c.OneMinusBeta1);
            var b2 = Vector512.Create(c.Beta2);
            var b2c = Vector512.Create(c.OneMinusBeta2);
            var wd = Vector512.Create(c.WeightDecay);
            var bc2 = Vector512.Create(c.BiasCorrection2Sqrt);
            var eps = Vector512.Create(c.Epsilon);
            var step = Vector512.Create(c.StepSize);
            for (; i <= n - 16; i += 16)
            {
                var pi = Vector512.Load(p + i);
                var gi = Vector512.Load(g + i) + (wd * pi);
                var mi = (b1 * Vector512.Load(m + i)) + (b1c * gi);
                var vi = (b2 * Vector512.Load(v + i)) + (b2c * gi * gi);
                var denom = (Vector512.Sqrt(vi) / bc2) + eps;
                mi.Store(m + i);
                vi.Store(v + i);
                (pi - (step * (mi / denom))).Store(p + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var b1 = Vector256.Create(c.Beta1);
            var b1c = Vector256.Create(c.OneMinusBeta1);
            var b2 = Vector256.Create(c.Beta2);
            var b2c = Vector256.Create(c.OneMinusBeta2);
            var wd = Vector256.Create(c.WeightDecay);
            var bc2 = Vector256.Create(c.BiasCorrection2Sqrt);
            var eps = Vector256.Create(c.Epsilon);
            var step = Vector256.Create(c.StepSize);
            for (; i <= n - 8; i += 8)
            {
                var pi = Vector256.Load(p + i);
                var gi = Vector256.Load(g + i) + (wd * pi);
                var mi = (b1 * Vector256.Load(m + i)) + (b1c * gi);
                var vi = (b2 * Vector256.Load(v + i)) + (b2c * gi * gi);
                var denom = (Vector256.Sqrt(vi) / bc2) + eps;
                mi.Store(m + i);
                vi.Store(v + i);
                (pi - (step * (mi / denom))).Store(p + i);
            }
        }

        for (; i < n; i++)
        {
            var pi = p[i];
            var gi = g[i] + (c.WeightDecay * pi);
            var mi = (c.Beta1 * m[i]) + (c.OneMinusBeta1 * gi);
            var vi = (c.Beta2 * v[i]) + (c.OneMinusBeta2 * gi * gi);
            var denom = (MathF.Sqrt(vi) / c.BiasCorrection2Sqrt) + c.Epsilon;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - (c.StepSize * (mi / denom));
        }
    }

    /// <summary>The per-step scalars, computed once.</summary>
    private readonly struct Constants
    {
        public readonly float Beta1;
        public readonly float OneMinusBeta1;
        public readonly float Beta2;
        public readonly float OneMinusBeta2;
        public readonly float WeightDecay;
        public readonly float Epsilon;
        public readonly float StepSize;
        public readonly float BiasCorrection2Sqrt;

        public Constants(AdamStep step)
        {
            Beta1 = step.Beta1;
            OneMinusBeta1 = 1f - step.Beta1;
            Beta2 = step.Beta2;
            OneMinusBeta2 = 1f - step.Beta2;
            WeightDecay = step.WeightDecay;
            Epsilon = step.Epsilon;
            StepSize = (float)(step.LearningRate / (1 - Math.Pow(step.Beta1, step.Step)));
            BiasCorrection2Sqrt = (float)Math.Sqrt(1 - Math.Pow(step.Beta2, step.Step));
        }
    }

    /// <summary>Chunk <c>index</c> of the parameters (see <see cref="ElementWiseDriver.Chunk"/>).</summary>
    private readonly struct AdamTask(Constants c, float* p, float* g, float* m, float* v, int length) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Execute(int index, int worker)
        {
            var (s, n) = ElementWiseDriver.Chunk(index, length);
            Apply(c, p + s, g + s, m + s, v + s, n);
        }
    }
}
