namespace Acr.Backends.Cpu.Ops;

/// <summary>
/// Segmented 2-d batch-norm forward: one task per (segment, channel), two passes in double over the segment's planes in image then
/// pixel order (the reference's order, so its statistics bit for bit), then the output with the fused ReLU; the running statistics
/// afterwards, per channel over the segments in order, from a double scratch.
/// </summary>
internal sealed unsafe class BatchNorm2dForwardKernel(CpuBackend backend) : CpuKernel<BatchNorm2dForwardOp.Args>(backend, BatchNorm2dForwardOp.Instance)
{
    protected override void Execute(in BatchNorm2dForwardOp.Args a)
    {
        var image = ImageShape.Of(a.X.Shape);
        var segments = a.Segments;
        var pairs = segments.Count * image.Channels;
        var scratch = Backend.DoubleScratch.Ensure(checked(2 * pairs));
        var task = new ForwardTask(Pointer(a.X), IntPointer(segments.DeviceOffsets), image.Channels, image.Pixels, Pointer(a.Gamma), Pointer(a.Beta), a.Epsilon,
            a.Activation == Activation.Relu, Pointer(a.Y), Pointer(a.Mean), Pointer(a.InverseStd), scratch, pairs);
        Backend.Pool.Run(ref task, pairs, parallel: a.X.Length >= 1 << 15);
        if (a.RunningMean is null)
        {
            return;
        }

        float* rm = Pointer(a.RunningMean), rv = Pointer(a.RunningVariance!);
        var momentum = a.Momentum;
        for (var j = 0; j < image.Channels; j++)
        {
            for (var s = 0; s < segments.Count; s++)
            {
                var m = (double)segments.Length(s) * image.Pixels;
                var e = (s * image.Channels) + j;
                rm[j] = (float)(((1 - momentum) * (double)rm[j]) + (momentum * scratch[e]));
                rv[j] = (float)(((1 - momentum) * (double)rv[j]) + (momentum * scratch[pairs + e] * m / (m - 1)));
            }
        }
    }

    /// <summary>Pair index = s·C + c.</summary>
    private readonly struct ForwardTask(float* x, int* offsets, int channels, int pixels, float* gamma, float* beta, float epsilon, bool relu,
        float* y, float* mean, float* inverseStd, double* scratch, int pairs) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int s = index / channels, j = index % channels;
            int start = offsets[s], end = offsets[s + 1];
            var m = (double)(end - start) * pixels;
            double mu = 0;
            for (var n = start; n < end; n++)
            {
                var plane = x + ((((nint)n * channels) + j) * pixels);
                for (var p = 0; p < pixels; p++)
                {
                    mu += plane[p];
                }
            }

            mu /= m;
            double variance = 0;
            for (var n = start; n < end; n++)
            {
                var plane = x + ((((nint)n * channels) + j) * pixels);
                for (var p = 0; p < pixels; p++)
                {
                    var d = plane[p] - mu;
                    variance += d * d;
                }
            }

            variance /= m;
            var inv = 1.0 / Math.Sqrt(variance + epsilon);
            mean[index] = (float)mu;
            inverseStd[index] = (float)inv;
            scratch[index] = mu;
            scratch[pairs + index] = variance;
            float g = gamma[j], b = beta[j];
            for (var n = start; n < end; n++)
            {
                var offset = (((nint)n * channels) + j) * pixels;
                float* source = x + offset, target = y + offset;
                for (var p = 0; p < pixels; p++)
                {
                    var v = (float)((g * (source[p] - mu) * inv) + b);
                    target[p] = relu ? (v > 0 ? v : 0f) : v;
                }
            }
        }
    }
}

/// <summary>
/// Segmented 2-d batch-norm backward: one task per (segment, channel) sums dy and dy·x̂ in double and writes dx; dγ and dβ fold the
/// per-segment sums per channel in segment order.
/// </summary>
internal sealed unsafe class BatchNorm2dBackwardKernel(CpuBackend backend) : CpuKernel<BatchNorm2dBackwardOp.Args>(backend, BatchNorm2dBackwardOp.Instance)
{
    protected override void Execute(in BatchNorm2dBackwardOp.Args a)
    {
        var image = ImageShape.Of(a.X.Shape);
        var segments = a.Segments;
        var pairs = segments.Count * image.Channels;
        var scratch = Backend.DoubleScratch.Ensure(checked(2 * pairs));
        var task = new BackwardTask(Pointer(a.X), Pointer(a.Dy), IntPointer(segments.DeviceOffsets), image.Channels, image.Pixels, Pointer(a.Gamma),
            Pointer(a.Mean), Pointer(a.InverseStd), Pointer(a.Dx), a.AccumulateInput, scratch, pairs);
        Backend.Pool.Run(ref task, pairs, parallel: a.X.Length >= 1 << 15);
        float* dg = Pointer(a.DGamma), db = Pointer(a.DBeta);
        for (var j = 0; j < image.Channels; j++)
        {
            double sg = 0, sb = 0;
            for (var s = 0; s < segments.Count; s++)
            {
                sg += scratch[(s * image.Channels) + j];
                sb += scratch[pairs + (s * image.Channels) + j];
            }

            dg[j] = (float)((a.AccumulateParameters ? dg[j] : 0) + sg);
            db[j] = (float)((a.AccumulateParameters ? db[j] : 0) + sb);
        }
    }

    /// <summary>Pair index = s·C + c; leaves Σdy·x̂ at scratch[index] and Σdy at scratch[pairs + index].</summary>
    private readonly struct BackwardTask(float* x, float* dy, int* offsets, int channels, int pixels, float* gamma, float* mean, float* inverseStd,
        float* dx, bool accumulate, double* scratch, int pairs) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int s = index / channels, j = index % channels;
            int start = offsets[s], end = offsets[s + 1];
            var m = (double)(end - start) * pixels;
            double mu = mean[index], inv = inverseStd[index], m1 = 0, m2 = 0;
            for (var n = start; n < end; n++)
            {
                var offset = (((nint)n * channels) + j) * pixels;
                float* xs = x + offset, ds = dy + offset;
                for (var p = 0; p < pixels; p++)
                {
                    var xh = (xs[p] - mu) * inv;
                    m1 += ds[p];
                    m2 += ds[p] * xh;
                }
            }

            scratch[index] = m2;
            scratch[pairs + index] = m1;
            m1 /= m;
            m2 /= m;
            double g = gamma[j];
            for (var n = start; n < end; n++)
            {
                var offset = (((nint)n * channels) + j) * pixels;
                float* xs = x + offset, ds = dy + offset, target = dx + offset;
                for (var p = 0; p < pixels; p++)
                {
                    var xh = (xs[p] - mu) * inv;
                    var d = g * inv * (ds[p] - m1 - (xh * m2));
                    target[p] = (float)((accumulate ? target[p] : 0) + d);
                }
            }
        }
    }
}

/// <summary>Running-statistics 2-d batch norm: one task per (image, channel) plane, the reference's double expression per element.</summary>
internal sealed unsafe class BatchNorm2dInferenceKernel(CpuBackend backend) : CpuKernel<BatchNorm2dInferenceOp.Args>(backend, BatchNorm2dInferenceOp.Instance)
{
    protected override void Execute(in BatchNorm2dInferenceOp.Args a)
    {
        var image = ImageShape.Of(a.X.Shape);
        var task = new InferenceTask(Pointer(a.X), image.Channels, image.Pixels, Pointer(a.Gamma), Pointer(a.Beta), Pointer(a.RunningMean), Pointer(a.RunningVariance), a.Epsilon, Pointer(a.Y));
        Backend.Pool.Run(ref task, a.X.Shape[0] * image.Channels, parallel: a.X.Length >= 1 << 15);
    }

    private readonly struct InferenceTask(float* x, int channels, int pixels, float* gamma, float* beta, float* runningMean, float* runningVariance, float epsilon, float* y) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var j = index % channels;
            double g = gamma[j], mu = runningMean[j], sd = Math.Sqrt(runningVariance[j] + (double)epsilon), b = beta[j];
            var offset = (nint)index * pixels;
            float* source = x + offset, target = y + offset;
            for (var p = 0; p < pixels; p++)
            {
                target[p] = (float)((g * (source[p] - mu) / sd) + b);
            }
        }
    }
}
