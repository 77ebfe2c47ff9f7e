using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Acr.Backends.Cpu.Threading;

namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// Segment-aware batch norm on an N×C row-major input. Work is cut into tasks of one segment × one block
/// of channels (see <see cref="BlockWidth"/>); within a task rows are walked in order and channels
/// vectorised. Statistics are two-pass (mean, then squared deviations from it), summed as described in
/// <see cref="BatchNormReductions"/> (float partial sums over 8 rows folded into double).
/// Cross-segment results (running statistics, dGamma, dBeta) are combined sequentially in segment order
/// after the parallel part, so every result is independent of the thread count.
/// </summary>
internal static unsafe class BatchNorm
{
    /// <summary>Channels per task when segments are too few to keep the team busy.</summary>
    public const int NarrowBlock = 64;

    /// <summary>Most channels per task (bounds the per-task stack scratch).</summary>
    public const int WideBlock = 1024;

    /// <summary>
    /// Channels per task. With enough segments a task takes whole rows (all channels of its segment): two
    /// threads then never write neighbouring cache lines of the same rows, which the adjacent-line
    /// prefetchers would otherwise bounce between cores. With few segments, channel blocks give the
    /// parallelism. The choice only splits work; every channel's arithmetic is the same either way.
    /// </summary>
    private static int BlockWidth(int segments, int channels) => Math.Min(channels, segments >= 4 ? WideBlock : NarrowBlock);

    /// <summary>Below this many elements batch norm stays on the calling thread.</summary>
    private const long ParallelThreshold = 1 << 18;

    /// <summary>Forward pass; <paramref name="statistics"/> is scratch of <c>2·S·C</c> doubles (means, then variances).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(WorkerPool pool, float* x, int rows, int channels, int* offsets, int segments,
        float* gamma, float* beta, float epsilon, float* y, float* mean, float* inverseStd,
        float* runningMean, float* runningVariance, float momentum, double* statistics)
    {
        var width = Math.Max(1, BlockWidth(segments, channels));
        var blocks = (channels + width - 1) / width;
        var task = new ForwardTask
        {
            Width = width,
            X = x,
            Y = y,
            Gamma = gamma,
            Beta = beta,
            Mean = mean,
            InverseStd = inverseStd,
            Offsets = offsets,
            Channels = channels,
            Blocks = blocks,
            Epsilon = epsilon,
            Mu = statistics,
            Variance = statistics + ((nint)segments * channels),
        };
        Run(pool, ref task, segments * blocks, (long)rows * channels);

        if (runningMean is null || runningVariance is null)
        {
            return;
        }

        // Exactly S successive PyTorch updates, in segment order.
        var keep = (double)(1f - momentum);
        for (var s = 0; s < segments; s++)
        {
            var n = offsets[s + 1] - offsets[s];
            var mu = task.Mu + ((nint)s * channels);
            var variance = task.Variance + ((nint)s * channels);
            for (var j = 0; j < channels; j++)
            {
                runningMean[j] = (float)((keep * runningMean[j]) + (momentum * mu[j]));
                runningVariance[j] = (float)((keep * runningVariance[j]) + (momentum * variance[j] * n / (n - 1)));
            }
        }
    }

    /// <summary>Inference with running statistics; <paramref name="scale"/> is scratch of C floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Inference(WorkerPool pool, float* x, int rows, int channels, float* gamma, float* beta,
        float* runningMean, float* runningVariance, float epsilon, float* y, float* scale)
    {
        for (var j = 0; j < channels; j++)
        {
            scale[j] = (float)(gamma[j] / Math.Sqrt(runningVariance[j] + (double)epsilon));
        }

        RowBroadcastDriver.Run<BatchNormAffineOperator>(pool, x, runningMean, scale, beta, y, rows, channels);
    }

    /// <summary>Backward pass; <paramref name="partials"/> is scratch of <c>2·S·C</c> doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(WorkerPool pool, float* x, float* dy, int rows, int channels, int* offsets, int segments,
        float* gamma, float* mean, float* inverseStd, float* dx, bool accumulateInput,
        float* dGamma, float* dBeta, bool accumulateParameters, double* partials)
    {
        var width = Math.Max(1, BlockWidth(segments, channels));
        var blocks = (channels + width - 1) / width;
        var task = new BackwardTask
        {
            Width = width,
            X = x,
            Dy = dy,
            Dx = dx,
            Gamma = gamma,
            Mean = mean,
            InverseStd = inverseStd,
            Offsets = offsets,
            Channels = channels,
            Blocks = blocks,
            AccumulateInput = accumulateInput,
            SumDyXhat = partials,
            SumDy = partials + ((nint)segments * channels),
        };
        Run(pool, ref task, segments * blocks, (long)rows * channels);

        for (var j = 0; j < channels; j++)
        {
            double g = 0, b = 0;
            for (var s = 0; s < segments; s++)
            {
                g += task.SumDyXhat[((nint)s * channels) + j];
                b += task.SumDy[((nint)s * channels) + j];
            }

            dGamma[j] = (float)((accumulateParameters ? dGamma[j] : 0) + g);
            dBeta[j] = (float)((accumulateParameters ? dBeta[j] : 0) + b);
        }
    }

    private static void Run<TTask>(WorkerPool pool, ref TTask task, int count, long elements)
        where TTask : unmanaged, IParallelTask
    {
        if (pool.Threads == 1 || count == 1 || elements < ParallelThreshold)
        {
            for (var i = 0; i < count; i++)
            {
                task.Execute(i, 0);
            }
        }
        else
        {
            pool.Run(ref task, count);
        }
    }

    private struct ForwardTask : IParallelTask
    {
        public float* X;
        public float* Y;
        public float* Gamma;
        public float* Beta;
        public float* Mean;
        public float* InverseStd;
        public int* Offsets;
        public int Channels;
        public int Blocks;
        public int Width;
        public float Epsilon;
        public double* Mu;
        public double* Variance;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var s = index / Blocks;
            var j0 = index % Blocks * Width;
            var width = Math.Min(Width, Channels - j0);
            var start = Offsets[s];
            var n = Offsets[s + 1] - start;
            var stride = Channels;
            var x = X + ((nint)start * stride) + j0;
            var statistic = ((nint)s * Channels) + j0;

            // μ = x₀ + Σ(x − x₀)/n, x₀ the segment's first row (so float rounding scales with the spread).
            var sum = stackalloc double[width];
            Reductions.Clear(sum, width);
            BatchNormReductions.ShiftedSums(sum, x, x, n, stride, width);
            var mu = Mu + statistic;
            var high = stackalloc float[width];
            var low = stackalloc float[width];
            for (var j = 0; j < width; j++)
            {
                mu[j] = x[j] + (sum[j] / n);
                high[j] = (float)mu[j];
                low[j] = (float)(mu[j] - high[j]);
            }

            // σ² = Σ((x − μ_hi) − μ_lo)²/n: x − μ_hi is exact for x near μ.
            Reductions.Clear(sum, width);
            BatchNormReductions.SquaredDeviations(sum, x, high, low, n, stride, width);

            // y = (x − μ)·s + β with s = γ·inv. μ is split as μ_hi + μ_lo (μ_hi = μ rounded to float):
            // x − μ_hi is exact for x near μ, which is where cancellation would otherwise cost accuracy
            // (two close rows, tiny variance, large inv), and μ_lo·s is folded into the shift in double.
            var variance = Variance + statistic;
            var scale = stackalloc float[width];
            var shift = stackalloc float[width];
            for (var j = 0; j < width; j++)
            {
                variance[j] = sum[j] / n;
                var inv = 1.0 / Math.Sqrt(variance[j] + Epsilon);
                scale[j] = (float)(Gamma[j0 + j] * inv);
                shift[j] = (float)(Beta[j0 + j] - ((mu[j] - high[j]) * scale[j]));
                Mean[statistic + j] = high[j];
                InverseStd[statistic + j] = (float)inv;
            }

            RowBroadcastDriver.Rows<BatchNormAffineOperator>(x, high, scale, shift, Y + ((nint)start * stride) + j0, 0, n, width, stride);
        }
    }

    private struct BackwardTask : IParallelTask
    {
        public float* X;
        public float* Dy;
        public float* Dx;
        public float* Gamma;
        public float* Mean;
        public float* InverseStd;
        public int* Offsets;
        public int Channels;
        public int Blocks;
        public int Width;
        public bool AccumulateInput;
        public double* SumDyXhat;
        public double* SumDy;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var s = index / Blocks;
            var j0 = index % Blocks * Width;
            var width = Math.Min(Width, Channels - j0);
            var start = Offsets[s];
            var n = Offsets[s + 1] - start;
            var stride = Channels;
            var origin = ((nint)start * stride) + j0;
            var statistic = ((nint)s * Channels) + j0;
            var mu = Mean + statistic;
            var inv = InverseStd + statistic;

            // Pass 1: Σ dy and Σ dy·x̂ per channel, in double.
            var sumDy = SumDy + statistic;
            var sumDyXhat = SumDyXhat + statistic;
            Reductions.Clear(sumDy, width);
            Reductions.Clear(sumDyXhat, width);
            BatchNormReductions.GradientSums(sumDy, sumDyXhat, X + origin, Dy + origin, mu, inv, n, stride, width);

            // Pass 2: dx = γ·inv·(dy − m1 − x̂·m2), in float.
            var m1 = stackalloc float[width];
            var m2 = stackalloc float[width];
            var k = stackalloc float[width];
            for (var j = 0; j < width; j++)
            {
                m1[j] = (float)(sumDy[j] / n);
                m2[j] = (float)(sumDyXhat[j] / n);
                k[j] = (float)(Gamma[j0 + j] * (double)inv[j]);
            }

            for (var i = 0; i < n; i++)
            {
                var row = origin + ((nint)i * stride);
                GradientRow(X + row, Dy + row, Dx + row, mu, inv, m1, m2, k, width, AccumulateInput);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void GradientRow(float* x, float* dy, float* dx, float* mu, float* inv, float* m1, float* m2, float* k, int width, bool accumulate)
        {
            var j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; j <= width - 16; j += 16)
                {
                    var xhat = (Vector512.Load(x + j) - Vector512.Load(mu + j)) * Vector512.Load(inv + j);
                    var g = Vector512.Load(k + j) * (Vector512.Load(dy + j) - Vector512.Load(m1 + j) - (xhat * Vector512.Load(m2 + j)));
                    (accumulate ? Vector512.Load(dx + j) + g : g).Store(dx + j);
                }
            }

            if (Vector256.IsHardwareAccelerated)
            {
                for (; j <= width - 8; j += 8)
                {
                    var xhat = (Vector256.Load(x + j) - Vector256.Load(mu + j)) * Vector256.Load(inv + j);
                    var g = Vector256.Load(k + j) * (Vector256.Load(dy + j) - Vector256.Load(m1 + j) - (xhat * Vector256.Load(m2 + j)));
                    (accumulate ? Vector256.Load(dx + j) + g : g).Store(dx + j);
                }
            }

            for (; j < width; j++)
            {
                var xhat = (x[j] - mu[j]) * inv[j];
                var g = k[j] * (dy[j] - m1[j] - (xhat * m2[j]));
                dx[j] = accumulate ? dx[j] + g : g;
            }
        }
    }
}

/// <summary>Batch-norm affine map: <c>(x, u, v, w) → (x − u)·v + w</c> (u the mean, v the scale, w the shift).</summary>
internal readonly struct BatchNormAffineOperator : IRowOperator
{
    public static float Invoke(float x, float u, float v, float w) => ((x - u) * v) + w;

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> v, Vector128<float> w) => ((x - u) * v) + w;

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> v, Vector256<float> w) => ((x - u) * v) + w;

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> v, Vector512<float> w) => ((x - u) * v) + w;
}
