using Acr.Backends.Cpu.Kernels.Gemm;

namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// 2-d convolution on the CPU as im2col + the blocked GEMM. The N·Ho·Wo output positions of the batch form one column
/// index space (image-major), cut into chunks of Q columns so that a chunk's column matrix (Cin·KH·KW × Q) and its
/// Cout × Q companion stay within <see cref="CpuBackend.ConvolutionColumnBudget"/> floats; per chunk:
/// <list type="bullet">
/// <item>forward: im2col, <c>T = W · col</c> (GEMM, M = Cout, N = Q, K = Cin·KH·KW), then T scattered to NCHW with the bias;</item>
/// <item>input gradient: dy gathered to Cout × Q, <c>dcol = Wᵀ · dy</c> (GEMM), then col2im adds dcol into dx, one task per
/// (image, input channel) plane;</item>
/// <item>filter gradient: im2col, dy gathered, <c>dW (+)= dy · colᵀ</c> (GEMM, K = Q), chunks folded in order; the bias gradient
/// sums dy per output channel in double.</item>
/// </list>
/// The chunking depends on the shapes and the budget only, and every task writes memory no other task touches, so results are
/// bit-identical for every thread count. <see cref="DirectForward"/> is the direct alternative the benchmarks compare with.
/// </summary>
internal static unsafe class Convolution
{
    /// <summary>Columns per chunk for a GEMM depth <paramref name="depth"/> and <paramref name="outputs"/> output channels: as many as the budget allows, at least 1.</summary>
    public static int ChunkColumns(long total, int depth, int outputs, int budget) =>
        (int)Math.Clamp(budget / Math.Max(1, Math.Max(depth, outputs)), 1, Math.Max(1, total));

    /// <summary>Forward: <c>y = conv(x, w) + bias</c>, chunk by chunk.</summary>
    public static void Forward(CpuBackend backend, in Conv2dGeometry g, float* x, float* w, float* bias, float* y)
    {
        int depth = g.Depth, outputs = g.Output.Channels;
        var total = (long)g.Images * g.Output.Pixels;
        if (total == 0)
        {
            return;
        }

        var q = ChunkColumns(total, depth, outputs, backend.ConvolutionColumnBudget);
        var scratch = backend.FloatScratch.Ensure(checked((depth + outputs) * q));
        float* col = scratch, product = scratch + ((nint)depth * q);
        for (long g0 = 0; g0 < total; g0 += q)
        {
            var count = (int)Math.Min(q, total - g0);
            var im2col = new Im2colTask(g, x, col, g0, count);
            backend.Pool.Run(ref im2col, depth, parallel: (long)depth * count >= 1 << 15);
            Ops.GemmKernel.Run(backend, new GemmProblem(false, false, outputs, count, depth, 1f, w, col, 0f, product));
            var scatter = new ScatterTask(g, product, bias, y, g0, count);
            backend.Pool.Run(ref scatter, outputs, parallel: (long)outputs * count >= 1 << 15);
        }
    }

    /// <summary>Input gradient: <c>dx (+)= col2im(Wᵀ · dy)</c>, chunk by chunk.</summary>
    public static void BackwardInput(CpuBackend backend, in Conv2dGeometry g, float* dy, float* w, float* dx, bool accumulate)
    {
        int depth = g.Depth, outputs = g.Output.Channels;
        if (!accumulate)
        {
            new Span<float>(dx, g.Images * g.Input.Length).Clear();
        }

        var total = (long)g.Images * g.Output.Pixels;
        if (total == 0)
        {
            return;
        }

        var q = ChunkColumns(total, depth, outputs, backend.ConvolutionColumnBudget);
        var scratch = backend.FloatScratch.Ensure(checked((depth + outputs) * q));
        float* dcol = scratch, gathered = scratch + ((nint)depth * q);
        for (long g0 = 0; g0 < total; g0 += q)
        {
            var count = (int)Math.Min(q, total - g0);
            var gather = new GatherTask(g, dy, gathered, g0, count);
            backend.Pool.Run(ref gather, outputs, parallel: (long)outputs * count >= 1 << 15);
            Ops.GemmKernel.Run(backend, new GemmProblem(true, false, depth, count, outputs, 1f, w, gathered, 0f, dcol));
            var first = (int)(g0 / g.Output.Pixels);
            var last = (int)((g0 + count - 1) / g.Output.Pixels);
            var col2im = new Col2imTask(g, dcol, dx, g0, count, first);
            backend.Pool.Run(ref col2im, (last - first + 1) * g.Input.Channels, parallel: (long)depth * count >= 1 << 15);
        }
    }

    /// <summary>Parameter gradients: <c>dW (+)= Σ_chunks dy · colᵀ</c> and <c>dBias (+)= Σ dy</c> per output channel.</summary>
    public static void BackwardParameters(CpuBackend backend, in Conv2dGeometry g, float* x, float* dy, float* dw, float* dbias, bool accumulate)
    {
        int depth = g.Depth, outputs = g.Output.Channels;
        var total = (long)g.Images * g.Output.Pixels;
        if (total == 0)
        {
            if (!accumulate)
            {
                new Span<float>(dw, outputs * depth).Clear();
                if (dbias is not null)
                {
                    new Span<float>(dbias, outputs).Clear();
                }
            }

            return;
        }

        var q = ChunkColumns(total, depth, outputs, backend.ConvolutionColumnBudget);
        var scratch = backend.FloatScratch.Ensure(checked((depth + outputs) * q));
        float* col = scratch, gathered = scratch + ((nint)depth * q);
        for (long g0 = 0; g0 < total; g0 += q)
        {
            var count = (int)Math.Min(q, total - g0);
            var im2col = new Im2colTask(g, x, col, g0, count);
            backend.Pool.Run(ref im2col, depth, parallel: (long)depth * count >= 1 << 15);
            var gather = new GatherTask(g, dy, gathered, g0, count);
            backend.Pool.Run(ref gather, outputs, parallel: (long)outputs * count >= 1 << 15);
            var beta = g0 == 0 && !accumulate ? 0f : 1f;
            Ops.GemmKernel.Run(backend, new GemmProblem(false, true, outputs, depth, count, 1f, gathered, col, beta, dw));
        }

        if (dbias is not null)
        {
            var sums = new BiasTask(g, dy, dbias, accumulate);
            backend.Pool.Run(ref sums, outputs, parallel: total * outputs >= 1 << 16);
        }
    }

    /// <summary>The direct convolution: one task per (image, output channel) plane, summing input channel by kernel tap in float.</summary>
    public static void DirectForward(CpuBackend backend, in Conv2dGeometry g, float* x, float* w, float* bias, float* y)
    {
        var task = new DirectTask(g, x, w, bias, y);
        backend.Pool.Run(ref task, g.Images * g.Output.Channels, parallel: (long)g.Images * g.Output.Length * g.Depth >= 1 << 16);
    }

    /// <summary>Row r = (c, a, b) of the chunk's column matrix: x at tap (a, b) of channel c for each output position of the chunk, 0 in the padding.</summary>
    private readonly struct Im2colTask(Conv2dGeometry g, float* x, float* col, long g0, int count) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int kh = g.Window.KernelHeight, kw = g.Window.KernelWidth, s = g.Window.Stride, p = g.Window.Padding;
            int c = index / (kh * kw), a = index / kw % kh, b = index % kw;
            int height = g.Input.Height, width = g.Input.Width, outWidth = g.Output.Width, pixels = g.Output.Pixels;
            var dst = col + ((nint)index * count);
            var done = 0;
            while (done < count)
            {
                var at = g0 + done;
                var n = (int)(at / pixels);
                var pixel = (int)(at % pixels);
                var run = Math.Min(pixels - pixel, count - done);
                var plane = x + ((((nint)n * g.Input.Channels) + c) * height * width);
                int i = pixel / outWidth, j = pixel % outWidth;
                for (var t = 0; t < run; t++)
                {
                    int h = (i * s) - p + a, v = (j * s) - p + b;
                    dst[done + t] = (uint)h < (uint)height && (uint)v < (uint)width ? plane[((nint)h * width) + v] : 0f;
                    if (++j == outWidth)
                    {
                        j = 0;
                        i++;
                    }
                }

                done += run;
            }
        }
    }

    /// <summary>Output channel o: <c>y[n, o, pixel] = product[o, column] + bias[o]</c> for the chunk's columns.</summary>
    private readonly struct ScatterTask(Conv2dGeometry g, float* product, float* bias, float* y, long g0, int count) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int pixels = g.Output.Pixels, outputs = g.Output.Channels;
            var src = product + ((nint)index * count);
            var b = bias is null ? 0f : bias[index];
            var done = 0;
            while (done < count)
            {
                var at = g0 + done;
                var n = (int)(at / pixels);
                var pixel = (int)(at % pixels);
                var run = Math.Min(pixels - pixel, count - done);
                var dst = y + ((((nint)n * outputs) + index) * pixels) + pixel;
                if (bias is null)
                {
                    new ReadOnlySpan<float>(src + done, run).CopyTo(new Span<float>(dst, run));
                }
                else
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(src + done, run), b, new Span<float>(dst, run));
                }

                done += run;
            }
        }
    }

    /// <summary>Output channel o: <c>gathered[o, column] = dy[n, o, pixel]</c> for the chunk's columns.</summary>
    private readonly struct GatherTask(Conv2dGeometry g, float* dy, float* gathered, long g0, int count) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int pixels = g.Output.Pixels, outputs = g.Output.Channels;
            var dst = gathered + ((nint)index * count);
            var done = 0;
            while (done < count)
            {
                var at = g0 + done;
                var n = (int)(at / pixels);
                var pixel = (int)(at % pixels);
                var run = Math.Min(pixels - pixel, count - done);
                new ReadOnlySpan<float>(dy + ((((nint)n * outputs) + index) * pixels) + pixel, run).CopyTo(new Span<float>(dst + done, run));
                done += run;
            }
        }
    }

    /// <summary>
    /// Plane (image first + index / Cin, channel index % Cin) of dx: adds the chunk's dcol rows of that channel, tap by tap and column by
    /// column in order, at the pixels they were read from.
    /// </summary>
    private readonly struct Col2imTask(Conv2dGeometry g, float* dcol, float* dx, long g0, int count, int first) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int kh = g.Window.KernelHeight, kw = g.Window.KernelWidth, s = g.Window.Stride, p = g.Window.Padding;
            int height = g.Input.Height, width = g.Input.Width, outWidth = g.Output.Width, pixels = g.Output.Pixels;
            int n = first + (index / g.Input.Channels), c = index % g.Input.Channels;

            // The chunk's columns that belong to image n.
            var lo = Math.Max(g0, (long)n * pixels);
            var hi = Math.Min(g0 + count, ((long)n + 1) * pixels);
            if (lo >= hi)
            {
                return;
            }

            var plane = dx + ((((nint)n * g.Input.Channels) + c) * height * width);
            for (var a = 0; a < kh; a++)
            {
                for (var b = 0; b < kw; b++)
                {
                    var row = dcol + ((((nint)c * kh * kw) + (a * kw) + b) * count);
                    var pixel = (int)(lo - ((long)n * pixels));
                    int i = pixel / outWidth, j = pixel % outWidth;
                    for (var column = (int)(lo - g0); column < (int)(hi - g0); column++)
                    {
                        int h = (i * s) - p + a, v = (j * s) - p + b;
                        if ((uint)h < (uint)height && (uint)v < (uint)width)
                        {
                            plane[((nint)h * width) + v] += row[column];
                        }

                        if (++j == outWidth)
                        {
                            j = 0;
                            i++;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Output channel o: <c>dbias[o] (+)= Σ_{n, pixel} dy</c> in double, images then pixels in order.</summary>
    private readonly struct BiasTask(Conv2dGeometry g, float* dy, float* dbias, bool accumulate) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int pixels = g.Output.Pixels, outputs = g.Output.Channels;
            double sum = 0;
            for (var n = 0; n < g.Images; n++)
            {
                var src = dy + ((((nint)n * outputs) + index) * pixels);
                for (var t = 0; t < pixels; t++)
                {
                    sum += src[t];
                }
            }

            dbias[index] = accumulate ? dbias[index] + (float)sum : (float)sum;
        }
    }

    /// <summary>Plane (image index / Cout, output channel index % Cout): zeroed, then every input channel's taps added in order, then the bias.</summary>
    private readonly struct DirectTask(Conv2dGeometry g, float* x, float* w, float* bias, float* y) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int kh = g.Window.KernelHeight, kw = g.Window.KernelWidth, s = g.Window.Stride, p = g.Window.Padding;
            int height = g.Input.Height, width = g.Input.Width, outHeight = g.Output.Height, outWidth = g.Output.Width;
            int n = index / g.Output.Channels, o = index % g.Output.Channels;
            var output = y + ((nint)index * g.Output.Pixels);
            new Span<float>(output, g.Output.Pixels).Clear();
            for (var c = 0; c < g.Input.Channels; c++)
            {
                var plane = x + ((((nint)n * g.Input.Channels) + c) * height * width);
                var filter = w + ((((nint)o * g.Input.Channels) + c) * kh * kw);
                for (var a = 0; a < kh; a++)
                {
                    for (var b = 0; b < kw; b++)
                    {
                        var tap = filter[(a * kw) + b];

                        // Output columns whose tap lands inside the row: j·s − p + b in [0, width).
                        var j0 = Math.Max(0, (p - b + s - 1) / s);
                        var last = width - 1 + p - b;
                        var j1 = last < 0 ? 0 : Math.Min(outWidth, (last / s) + 1);
                        for (var i = 0; i < outHeight; i++)
                        {
                            var h = (i * s) - p + a;
                            if ((uint)h >= (uint)height)
                            {
                                continue;
                            }

                            var source = plane + ((nint)h * width) - p + b;
                            var target = output + ((nint)i * outWidth);
                            for (var j = j0; j < j1; j++)
                            {
                                target[j] += tap * source[j * s];
                            }
                        }
                    }
                }
            }

            if (bias is not null)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(output, g.Output.Pixels), bias[o], new Span<float>(output, g.Output.Pixels));
            }
        }
    }
}
