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
        if (Float512.IsHardwareAccelerated)
        {
            i = Apply<Float512>(c, p, g, m, v, i, n);
        }

        if (Float256.IsHardwareAccelerated)
        {
            i = Apply<Float256>(c, p, g, m, v, i, n);
        }

        Apply<Float1>(c, p, g, m, v, i, n);
    }

    /// <summary>The update of elements <c>[i, n)</c>, a whole <typeparamref name="TLanes"/> at a time while one fits; returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nint Apply<TLanes>(in Constants constants, float* p, float* g, float* m, float* v, nint i, nint n)
        where TLanes : unmanaged, IFloatLanes<TLanes>
    {
        var c = new Broadcast<TLanes>(constants);
        for (; i <= n - TLanes.Count; i += TLanes.Count)
        {
            var pi = TLanes.Load(p + i);
            var gi = TLanes.Load(g + i) + (c.WeightDecay * pi);
            var mi = (c.Beta1 * TLanes.Load(m + i)) + (c.OneMinusBeta1 * gi);
            var vi = (c.Beta2 * TLanes.Load(v + i)) + (c.OneMinusBeta2 * gi * gi);
            var denom = (TLanes.Sqrt(vi) / c.BiasCorrection2Sqrt) + c.Epsilon;
            mi.Store(m + i);
            vi.Store(v + i);
            (pi - (c.StepSize * (mi / denom))).Store(p + i);
        }

        return i;
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

    /// <summary>The per-step scalars in every lane of <typeparamref name="TLanes"/>.</summary>
    [method: MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly struct Broadcast<TLanes>(in Constants c)
        where TLanes : unmanaged, IFloatLanes<TLanes>
    {
        public readonly TLanes Beta1 = TLanes.Create(c.Beta1);
        public readonly TLanes OneMinusBeta1 = TLanes.Create(c.OneMinusBeta1);
        public readonly TLanes Beta2 = TLanes.Create(c.Beta2);
        public readonly TLanes OneMinusBeta2 = TLanes.Create(c.OneMinusBeta2);
        public readonly TLanes WeightDecay = TLanes.Create(c.WeightDecay);
        public readonly TLanes Epsilon = TLanes.Create(c.Epsilon);
        public readonly TLanes StepSize = TLanes.Create(c.StepSize);
        public readonly TLanes BiasCorrection2Sqrt = TLanes.Create(c.BiasCorrection2Sqrt);
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
