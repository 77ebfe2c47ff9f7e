namespace Acr.Backends.Cpu.Ops;

/// <summary>Max pooling: one task per (image, channel) plane, windows scanned in row-major order (first maximum wins; NaN wins over numbers).</summary>
internal sealed unsafe class MaxPool2dForwardKernel(CpuBackend backend) : CpuKernel<MaxPool2dForwardOp.Args>(backend, MaxPool2dForwardOp.Instance)
{
    protected override void Execute(in MaxPool2dForwardOp.Args a)
    {
        var input = ImageShape.Of(a.X.Shape);
        var output = a.Window.Output(input, input.Channels);
        var task = new ForwardTask(Pointer(a.X), input, output, a.Window, Pointer(a.Y), IntPointer(a.Indices));
        Backend.Pool.Run(ref task, a.X.Shape[0] * input.Channels, parallel: a.X.Length >= 1 << 15);
    }

    private readonly struct ForwardTask(float* x, ImageShape input, ImageShape output, Window2d window, float* y, int* indices) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int height = input.Height, width = input.Width, s = window.Stride, p = window.Padding;
            var plane = x + ((nint)index * input.Pixels);
            var offset = (nint)index * output.Pixels;
            for (var i = 0; i < output.Height; i++)
            {
                for (var j = 0; j < output.Width; j++)
                {
                    var best = -1;
                    var bestValue = 0f;
                    for (var u = 0; u < window.KernelHeight; u++)
                    {
                        var h = (i * s) - p + u;
                        if ((uint)h >= (uint)height)
                        {
                            continue;
                        }

                        for (var v = 0; v < window.KernelWidth; v++)
                        {
                            var w = (j * s) - p + v;
                            if ((uint)w >= (uint)width)
                            {
                                continue;
                            }

                            var value = plane[(h * width) + w];
                            if (best < 0 || value > bestValue || (float.IsNaN(value) && !float.IsNaN(bestValue)))
                            {
                                best = (h * width) + w;
                                bestValue = value;
                            }
                        }
                    }

                    var at = offset + (i * output.Width) + j;
                    y[at] = bestValue;
                    indices[at] = best;
                }
            }
        }
    }
}

/// <summary>
/// Max-pool backward as a gather (no scatter, no scratch): each input pixel sums, in double and in row-major output order, dy of the
/// outputs whose window covers it and whose winner it is. One task per plane.
/// </summary>
internal sealed unsafe class MaxPool2dBackwardKernel(CpuBackend backend) : CpuKernel<MaxPool2dBackwardOp.Args>(backend, MaxPool2dBackwardOp.Instance)
{
    protected override void Execute(in MaxPool2dBackwardOp.Args a)
    {
        var input = ImageShape.Of(a.Dx.Shape);
        var output = a.Window.Output(input, input.Channels);
        var task = new BackwardTask(Pointer(a.Dy), IntPointer(a.Indices), input, output, a.Window, Pointer(a.Dx), a.Accumulate);
        Backend.Pool.Run(ref task, a.Dx.Shape[0] * input.Channels, parallel: a.Dx.Length >= 1 << 15);
    }

    private readonly struct BackwardTask(float* dy, int* indices, ImageShape input, ImageShape output, Window2d window, float* dx, bool accumulate) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var offset = (nint)index * output.Pixels;
            var target = dx + ((nint)index * input.Pixels);
            for (var h = 0; h < input.Height; h++)
            {
                var (i0, i1) = Covering(h, window.KernelHeight, window.Stride, window.Padding, output.Height);
                for (var w = 0; w < input.Width; w++)
                {
                    var (j0, j1) = Covering(w, window.KernelWidth, window.Stride, window.Padding, output.Width);
                    var pixel = (h * input.Width) + w;
                    double sum = 0;
                    for (var i = i0; i < i1; i++)
                    {
                        for (var j = j0; j < j1; j++)
                        {
                            var at = offset + (i * output.Width) + j;
                            if (indices[at] == pixel)
                            {
                                sum += dy[at];
                            }
                        }
                    }

                    target[pixel] = accumulate ? target[pixel] + (float)sum : (float)sum;
                }
            }
        }

        /// <summary>Outputs [first, end) along one axis whose window covers input coordinate <paramref name="x"/>: i·s − p ≤ x &lt; i·s − p + k.</summary>
        private static (int First, int End) Covering(int x, int kernel, int stride, int padding, int outputs)
        {
            var top = x + padding;
            var first = top - kernel + 1 <= 0 ? 0 : (top - kernel + stride) / stride;
            var end = Math.Min(outputs, (top / stride) + 1);
            return (first, Math.Max(first, end));
        }
    }
}

/// <summary>Global average pooling: one task per block of planes, each summed in double in pixel order.</summary>
internal sealed unsafe class GlobalAvgPool2dForwardKernel(CpuBackend backend) : CpuKernel<GlobalAvgPool2dForwardOp.Args>(backend, GlobalAvgPool2dForwardOp.Instance)
{
    protected override void Execute(in GlobalAvgPool2dForwardOp.Args a)
    {
        var pixels = ImageShape.Of(a.X.Shape).Pixels;
        var task = new PlaneTask(Pointer(a.X), Pointer(a.Y), pixels);
        Backend.Pool.Run(ref task, a.Y.Length, parallel: a.X.Length >= 1 << 16);
    }

    private readonly struct PlaneTask(float* x, float* y, int pixels) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var plane = x + ((nint)index * pixels);
            double s = 0;
            for (var p = 0; p < pixels; p++)
            {
                s += plane[p];
            }

            y[index] = (float)(s / pixels);
        }
    }
}

/// <summary>Global-average-pool backward: each plane filled with dy / (H·W) (or that added).</summary>
internal sealed unsafe class GlobalAvgPool2dBackwardKernel(CpuBackend backend) : CpuKernel<GlobalAvgPool2dBackwardOp.Args>(backend, GlobalAvgPool2dBackwardOp.Instance)
{
    protected override void Execute(in GlobalAvgPool2dBackwardOp.Args a)
    {
        var pixels = ImageShape.Of(a.Dx.Shape).Pixels;
        var task = new PlaneTask(Pointer(a.Dy), Pointer(a.Dx), pixels, a.Accumulate);
        Backend.Pool.Run(ref task, a.Dy.Length, parallel: a.Dx.Length >= 1 << 16);
    }

    private readonly struct PlaneTask(float* dy, float* dx, int pixels, bool accumulate) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var g = (float)(dy[index] / (double)pixels);
            var plane = new Span<float>(dx + ((nint)index * pixels), pixels);
            if (accumulate)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(plane, g, plane);
            }
            else
            {
                plane.Fill(g);
            }
        }
    }
}
