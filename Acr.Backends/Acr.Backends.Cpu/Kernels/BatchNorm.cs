namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// Segment-aware batch norm on an N×C row-major input; within a task rows are walked in order and
/// channels vectorised. The forward pass works on fixed chunks of <see cref="ChunkRows"/> rows (see
/// <see cref="Forward"/>); the backward pass on tasks of one segment × one block of channels (see
/// <see cref="BlockWidth"/>). Statistics are two-pass (mean, then squared deviations from it), summed as
/// described in <see cref="BatchNormReductions"/> (float partial sums over 8 rows folded into double).
/// Chunk and cross-segment results (segment statistics, running statistics, dGamma, dBeta) are combined
/// sequentially in a fixed order after the parallel part, so every result is independent of the thread count.
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

    /// <summary>Below this many elements the backward pass stays on the calling thread.</summary>
    private const long ParallelThreshold = 1 << 18;

    /// <summary>Rows per forward task: the unit of the forward pass's parallel split and of its per-chunk statistics.</summary>
    public const int ChunkRows = 64;

    /// <summary>Below this many elements the forward pass stays on the calling thread.</summary>
    private const long ForwardParallelThreshold = 1 << 15;

    /// <summary>Number of <see cref="ChunkRows"/>-row chunks the forward pass cuts the segments into.</summary>
    public static int ForwardChunks(ReadOnlySpan<int> offsets)
    {
        var chunks = 0;
        for (var s = 0; s + 1 < offsets.Length; s++)
        {
            chunks += (offsets[s + 1] - offsets[s] + ChunkRows - 1) / ChunkRows;
        }

        return chunks;
    }

    /// <summary>
    /// Forward pass, in three steps over chunks of <see cref="ChunkRows"/> consecutive rows of one segment:
    /// (1) in parallel, each chunk's mean and sum of squared deviations (two passes over the chunk while it
    /// is in L1, summed as in <see cref="BatchNormReductions"/>); (2) per segment, the chunks combined in
    /// order with Chan's pairwise update in double (mean and M2), then scale and shift; (3) in parallel,
    /// each chunk normalised (and, with <paramref name="relu"/>, passed through ReLU in the same pass).
    /// Tasks are numbered by rows, so with the pool's home ranges each core normalises the rows whose
    /// statistics it computed, and those the previous kernel (the GEMM) wrote on that core.
    /// Scratch: <paramref name="statistics"/> holds <c>2·chunks·C + 2·S·C</c> doubles, <paramref name="affine"/>
    /// <c>2·S·C</c> floats, <paramref name="chunkStarts"/> <c>S + 1</c> ints.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(WorkerPool pool, float* x, int rows, int channels, int* offsets, int segments,
        float* gamma, float* beta, float epsilon, bool relu, float* y, float* mean, float* inverseStd,
        float* runningMean, float* runningVariance, float momentum, double* statistics, float* affine, int* chunkStarts)
    {
        chunkStarts[0] = 0;
        for (var s = 0; s < segments; s++)
        {
            chunkStarts[s + 1] = chunkStarts[s] + ((offsets[s + 1] - offsets[s] + ChunkRows - 1) / ChunkRows);
        }

        var chunks = chunkStarts[segments];
        var width = Math.Max(1, Math.Min(channels, WideBlock));
        var blocks = (channels + width - 1) / width;
        var chunkMean = statistics;
        var chunkM2 = statistics + ((nint)chunks * channels);
        var affineScale = affine;
        var affineShift = affine + ((nint)segments * channels);
        var task = new ForwardTask(x, y, channels, width, blocks, offsets, chunkStarts, segments, chunkMean, chunkM2, mean, affineScale, affineShift, relu);
        var parallel = (long)rows * channels >= ForwardParallelThreshold;

        // Step 1: per-chunk statistics.
        task.Normalise = false;
        pool.Run(ref task, chunks * blocks, parallel);

        // Step 2: combine each segment's chunks in order (Chan et al.), then the affine map and the outputs.
        var mu = statistics + (2 * (nint)chunks * channels);
        var variance = mu + ((nint)segments * channels);
        for (var s = 0; s < segments; s++)
        {
            var row = (nint)s * channels;
            var m = mu + row;
            var m2 = variance + row;
            var first = chunkStarts[s];
            CopyDoubles(chunkMean + ((nint)first * channels), m, channels);
            CopyDoubles(chunkM2 + ((nint)first * channels), m2, channels);
            var length = offsets[s + 1] - offsets[s];
            double count = Math.Min(ChunkRows, length);
            for (var c = first + 1; c < chunkStarts[s + 1]; c++)
            {
                // Every chunk but a segment's last has ChunkRows rows.
                double n = Math.Min(ChunkRows, length - ((c - first) * ChunkRows));
                var total = count + n;
                MergeChunk(m, m2, chunkMean + ((nint)c * channels), chunkM2 + ((nint)c * channels), n / total, count * n / total, channels);
                count = total;
            }

            for (var j = 0; j < channels; j++)
            {
                var v = m2[j] / count;
                var inv = 1.0 / Math.Sqrt(v + epsilon);
                var high = (float)m[j];
                var scale = (float)(gamma[j] * inv);

                // y = (x − μ)·s + β with μ split as μ_hi + μ_lo (μ_hi = μ rounded to float): x − μ_hi is exact
                // for x near μ, where cancellation would otherwise cost accuracy (close rows, tiny variance,
                // large inv), and μ_lo·s is folded into the shift in double.
                variance[row + j] = v;
                mean[row + j] = high;
                inverseStd[row + j] = (float)inv;
                affineScale[row + j] = scale;
                affineShift[row + j] = (float)(beta[j] - ((m[j] - high) * scale));
            }
        }

        // Step 3: normalise.
        task.Normalise = true;
        pool.Run(ref task, chunks * blocks, parallel);

        if (runningMean is null || runningVariance is null)
        {
            return;
        }

        // Exactly S successive PyTorch updates, in segment order.
        var keep = (double)(1f - momentum);
        for (var s = 0; s < segments; s++)
        {
            var n = offsets[s + 1] - offsets[s];
            var segmentMu = mu + ((nint)s * channels);
            var segmentVariance = variance + ((nint)s * channels);
            for (var j = 0; j < channels; j++)
            {
                runningMean[j] = (float)((keep * runningMean[j]) + (momentum * segmentMu[j]));
                runningVariance[j] = (float)((keep * runningVariance[j]) + (momentum * segmentVariance[j] * n / (n - 1)));
            }
        }
    }

    /// <summary>Chan's update of a running (mean, M2) with one chunk's: δ = mean_c − mean; mean += δ·w; M2 += M2_c + δ²·k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeChunk(double* mean, double* m2, double* chunkMean, double* chunkM2, double w, double k, int channels)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= channels - 8; j += 8)
            {
                var delta = Vector512.Load(chunkMean + j) - Vector512.Load(mean + j);
                (Vector512.Load(mean + j) + (delta * w)).Store(mean + j);
                (Vector512.Load(m2 + j) + Vector512.Load(chunkM2 + j) + (delta * delta * k)).Store(m2 + j);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= channels - 4; j += 4)
            {
                var delta = Vector256.Load(chunkMean + j) - Vector256.Load(mean + j);
                (Vector256.Load(mean + j) + (delta * w)).Store(mean + j);
                (Vector256.Load(m2 + j) + Vector256.Load(chunkM2 + j) + (delta * delta * k)).Store(m2 + j);
            }
        }

        for (; j < channels; j++)
        {
            var delta = chunkMean[j] - mean[j];
            mean[j] += delta * w;
            m2[j] = m2[j] + chunkM2[j] + (delta * delta * k);
        }
    }

    private static void CopyDoubles(double* source, double* destination, int length) =>
        new ReadOnlySpan<double>(source, length).CopyTo(new Span<double>(destination, length));

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
        var sumDyXhat = partials;
        var sumDy = partials + ((nint)segments * channels);
        var task = new BackwardTask(x, dy, dx, accumulateInput, channels, width, blocks, offsets, gamma, mean, inverseStd, sumDy, sumDyXhat);
        pool.Run(ref task, segments * blocks, parallel: (long)rows * channels >= ParallelThreshold);

        for (var j = 0; j < channels; j++)
        {
            double g = 0, b = 0;
            for (var s = 0; s < segments; s++)
            {
                g += sumDyXhat[((nint)s * channels) + j];
                b += sumDy[((nint)s * channels) + j];
            }

            dGamma[j] = (float)((accumulateParameters ? dGamma[j] : 0) + g);
            dBeta[j] = (float)((accumulateParameters ? dBeta[j] : 0) + b);
        }
    }

    /// <summary>
    /// One chunk of rows × one block of <paramref name="blockWidth"/> channels: its statistics (step 1, into
    /// <paramref name="chunkMean"/> and <paramref name="chunkM2"/>) or its normalisation (step 3, by the per-segment
    /// <paramref name="meanHigh"/>, <paramref name="scale"/> and <paramref name="shift"/>).
    /// </summary>
    private struct ForwardTask(float* input, float* output, int channels, int blockWidth, int blocks, int* offsets, int* chunkStarts,
        int segments, double* chunkMean, double* chunkM2, float* meanHigh, float* scale, float* shift, bool relu) : IParallelTask
    {
        /// <summary>Whether a run normalises (step 3) rather than computing statistics (step 1).</summary>
        public bool Normalise;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var chunk = index / blocks;
            var j0 = index % blocks * blockWidth;
            var width = Math.Min(blockWidth, channels - j0);

            // The segment holding this chunk: the last s with chunkStarts[s] ≤ chunk (binary search).
            int lo = 0, hi = segments - 1;
            while (lo < hi)
            {
                var mid = (lo + hi + 1) >> 1;
                if (chunkStarts[mid] <= chunk)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            var s = lo;
            var start = offsets[s] + ((chunk - chunkStarts[s]) * ChunkRows);
            var n = Math.Min(ChunkRows, offsets[s + 1] - start);
            var stride = channels;
            var x = input + ((nint)start * stride) + j0;
            if (Normalise)
            {
                var at = ((nint)s * channels) + j0;
                var y = output + ((nint)start * stride) + j0;
                if (relu)
                {
                    RowBroadcastDriver.Rows<BatchNormAffineReluOperator>(x, meanHigh + at, scale + at, shift + at, y, 0, n, width, stride);
                }
                else
                {
                    RowBroadcastDriver.Rows<BatchNormAffineOperator>(x, meanHigh + at, scale + at, shift + at, y, 0, n, width, stride);
                }

                return;
            }

            // The chunk's mean: μ = x₀ + Σ(x − x₀)/n, x₀ its first row (so float rounding scales with the spread).
            var sum = stackalloc double[width];
            Reductions.Clear(sum, width);
            BatchNormReductions.ShiftedSums(sum, x, x, n, stride, width);
            var mean = chunkMean + ((nint)chunk * channels) + j0;
            var high = stackalloc float[width];
            var low = stackalloc float[width];
            for (var j = 0; j < width; j++)
            {
                mean[j] = x[j] + (sum[j] / n);
                high[j] = (float)mean[j];
                low[j] = (float)(mean[j] - high[j]);
            }

            // Its M2 = Σ((x − μ_hi) − μ_lo)²: x − μ_hi is exact for x near μ.
            Reductions.Clear(sum, width);
            BatchNormReductions.SquaredDeviations(sum, x, high, low, n, stride, width);
            var m2 = chunkM2 + ((nint)chunk * channels) + j0;
            for (var j = 0; j < width; j++)
            {
                m2[j] = sum[j];
            }
        }
    }

    /// <summary>
    /// One segment × one block of <paramref name="blockWidth"/> channels: its Σ dy and Σ dy·x̂ (into
    /// <paramref name="sumDy"/> and <paramref name="sumDyXhat"/>, per segment), then its rows of dx.
    /// </summary>
    private readonly struct BackwardTask(float* x, float* dy, float* dx, bool accumulateInput, int channels, int blockWidth, int blocks,
        int* offsets, float* gamma, float* mean, float* inverseStd, double* sumDy, double* sumDyXhat) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var s = index / blocks;
            var j0 = index % blocks * blockWidth;
            var width = Math.Min(blockWidth, channels - j0);
            var start = offsets[s];
            var n = offsets[s + 1] - start;
            var stride = channels;
            var origin = ((nint)start * stride) + j0;
            var statistic = ((nint)s * channels) + j0;
            var mu = mean + statistic;
            var inv = inverseStd + statistic;

            // Pass 1: Σ dy and Σ dy·x̂ per channel, in double.
            var dySum = sumDy + statistic;
            var dyXhatSum = sumDyXhat + statistic;
            Reductions.Clear(dySum, width);
            Reductions.Clear(dyXhatSum, width);
            BatchNormReductions.GradientSums(dySum, dyXhatSum, x + origin, dy + origin, mu, inv, n, stride, width);

            // Pass 2: dx = γ·inv·(dy − m1 − x̂·m2), in float.
            var m1 = stackalloc float[width];
            var m2 = stackalloc float[width];
            var k = stackalloc float[width];
            for (var j = 0; j < width; j++)
            {
                m1[j] = (float)(dySum[j] / n);
                m2[j] = (float)(dyXhatSum[j] / n);
                k[j] = (float)(gamma[j0 + j] * (double)inv[j]);
            }

            for (var i = 0; i < n; i++)
            {
                var row = origin + ((nint)i * stride);
                GradientRow(x + row, dy + row, dx + row, mu, inv, m1, m2, k, width, accumulateInput);
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

/// <summary><c>max((x − u)·v + w, 0)</c>: the batch-norm affine map followed by ReLU, with the same bits as the two unfused ops.</summary>
internal readonly struct BatchNormAffineReluOperator : IRowOperator
{
    public static float Invoke(float x, float u, float v, float w) => ReluOperator.Invoke(BatchNormAffineOperator.Invoke(x, u, v, w));

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> v, Vector128<float> w) =>
        ReluOperator.Invoke(BatchNormAffineOperator.Invoke(x, u, v, w));

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> v, Vector256<float> w) =>
        ReluOperator.Invoke(BatchNormAffineOperator.Invoke(x, u, v, w));

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> v, Vector512<float> w) =>
        ReluOperator.Invoke(BatchNormAffineOperator.Invoke(x, u, v, w));
}
