namespace Acr.Backends.Gpu.Kernels;

/// <summary>
/// The image ops as ILGPU kernels, NCHW float32. Every kernel is a grid-stride loop with one thread per output element (a gather:
/// no atomics, no scatter), so every element is computed by one thread in a fixed order and results are identical from call to
/// call. The convolution sums its Cin·KH·KW taps in float; its filter and bias gradients and everything statistical (batch norm,
/// pooling means) accumulate in double, as the reference does. The 2-d batch norm uses one thread per (segment, channel), so a
/// segment's arithmetic never depends on the other segments: a segmented pass equals separate passes bit for bit.
/// </summary>
internal static class ImageKernels
{
    /// <summary>y[n, o, i, j] = Σ_{c, a, b} x · w (float, c then a then b) + bias[o].</summary>
    public static void Conv2dForward(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvShape s)
    {
        int stride = Grid.DimX * Group.DimX;
        int outPixels = s.OutHeight * s.OutWidth;
        int total = s.Images * s.Outputs * outPixels;
        for (int e = Grid.GlobalIndex.X; e < total; e += stride)
        {
            int j = e % s.OutWidth;
            int i = e / s.OutWidth % s.OutHeight;
            int o = e / outPixels % s.Outputs;
            int n = e / (outPixels * s.Outputs);
            float sum = 0f;
            for (int c = 0; c < s.Inputs; c++)
            {
                int plane = ((n * s.Inputs) + c) * s.Height * s.Width;
                int filter = ((o * s.Inputs) + c) * s.KernelHeight * s.KernelWidth;
                for (int a = 0; a < s.KernelHeight; a++)
                {
                    int h = (i * s.Stride) - s.Padding + a;
                    if (h < 0 || h >= s.Height)
                    {
                        continue;
                    }

                    for (int b = 0; b < s.KernelWidth; b++)
                    {
                        int v = (j * s.Stride) - s.Padding + b;
                        if (v >= 0 && v < s.Width)
                        {
                            sum += x[plane + (h * s.Width) + v] * w[filter + (a * s.KernelWidth) + b];
                        }
                    }
                }
            }

            y[e] = s.HasBias != 0 ? sum + bias[o] : sum;
        }
    }

    /// <summary>dx[n, c, h, v] (+)= Σ_{o, a, b} dy[n, o, i, j] · w[o, c, a, b] over the outputs (i, j) that read the pixel at tap (a, b) (float).</summary>
    public static void Conv2dBackwardInput(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, ConvShape s)
    {
        int stride = Grid.DimX * Group.DimX;
        int pixels = s.Height * s.Width;
        int total = s.Images * s.Inputs * pixels;
        for (int e = Grid.GlobalIndex.X; e < total; e += stride)
        {
            int v = e % s.Width;
            int h = e / s.Width % s.Height;
            int c = e / pixels % s.Inputs;
            int n = e / (pixels * s.Inputs);
            float sum = 0f;
            for (int o = 0; o < s.Outputs; o++)
            {
                int plane = ((n * s.Outputs) + o) * s.OutHeight * s.OutWidth;
                int filter = ((o * s.Inputs) + c) * s.KernelHeight * s.KernelWidth;
                for (int a = 0; a < s.KernelHeight; a++)
                {
                    int ti = h + s.Padding - a;
                    if (ti < 0 || ti % s.Stride != 0 || ti / s.Stride >= s.OutHeight)
                    {
                        continue;
                    }

                    int i = ti / s.Stride;
                    for (int b = 0; b < s.KernelWidth; b++)
                    {
                        int tj = v + s.Padding - b;
                        if (tj >= 0 && tj % s.Stride == 0 && tj / s.Stride < s.OutWidth)
                        {
                            sum += dy[plane + (i * s.OutWidth) + (tj / s.Stride)] * w[filter + (a * s.KernelWidth) + b];
                        }
                    }
                }
            }

            dx[e] = s.Accumulate != 0 ? dx[e] + sum : sum;
        }
    }

    /// <summary>dw[o, c, a, b] (+)= Σ_{n, i, j} dy · x at the tap (double, n then i then j).</summary>
    public static void Conv2dBackwardWeight(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, ConvShape s)
    {
        int stride = Grid.DimX * Group.DimX;
        int taps = s.KernelHeight * s.KernelWidth;
        int total = s.Outputs * s.Inputs * taps;
        for (int e = Grid.GlobalIndex.X; e < total; e += stride)
        {
            int b = e % s.KernelWidth;
            int a = e / s.KernelWidth % s.KernelHeight;
            int c = e / taps % s.Inputs;
            int o = e / (taps * s.Inputs);
            double sum = 0;
            for (int n = 0; n < s.Images; n++)
            {
                int plane = ((n * s.Inputs) + c) * s.Height * s.Width;
                int outPlane = ((n * s.Outputs) + o) * s.OutHeight * s.OutWidth;
                for (int i = 0; i < s.OutHeight; i++)
                {
                    int h = (i * s.Stride) - s.Padding + a;
                    if (h < 0 || h >= s.Height)
                    {
                        continue;
                    }

                    for (int j = 0; j < s.OutWidth; j++)
                    {
                        int v = (j * s.Stride) - s.Padding + b;
                        if (v >= 0 && v < s.Width)
                        {
                            sum += (double)dy[outPlane + (i * s.OutWidth) + j] * x[plane + (h * s.Width) + v];
                        }
                    }
                }
            }

            dw[e] = s.Accumulate != 0 ? dw[e] + (float)sum : (float)sum;
        }
    }

    /// <summary>dbias[o] (+)= Σ_{n, pixel} dy (double).</summary>
    public static void Conv2dBackwardBias(ArrayView<float> dy, ArrayView<float> dbias, ConvShape s)
    {
        int stride = Grid.DimX * Group.DimX;
        int outPixels = s.OutHeight * s.OutWidth;
        for (int o = Grid.GlobalIndex.X; o < s.Outputs; o += stride)
        {
            double sum = 0;
            for (int n = 0; n < s.Images; n++)
            {
                int plane = ((n * s.Outputs) + o) * outPixels;
                for (int p = 0; p < outPixels; p++)
                {
                    sum += dy[plane + p];
                }
            }

            dbias[o] = s.Accumulate != 0 ? dbias[o] + (float)sum : (float)sum;
        }
    }

    /// <summary>
    /// Thread per (segment, channel) pair e = s·C + c: μ and σ² in two double passes over the segment's planes (images, then pixels),
    /// then y = act(γ·(x − μ)·inv + β); μ and σ² also go to scratch (2·S·C) for the running statistics.
    /// </summary>
    public static void BatchNorm2dForward(ArrayView<float> x, ArrayView<int> offsets, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        ArrayView<float> mean, ArrayView<float> inverseStd, ArrayView<double> scratch, Norm2dShape shape)
    {
        int stride = Grid.DimX * Group.DimX;
        int c = shape.Channels, pixels = shape.Pixels;
        int pairs = shape.Segments * c;
        for (int e = Grid.GlobalIndex.X; e < pairs; e += stride)
        {
            int s = e / c, j = e % c;
            int start = offsets[s], end = offsets[s + 1];
            double m = (double)(end - start) * pixels;
            double mu = 0;
            for (int n = start; n < end; n++)
            {
                int plane = ((n * c) + j) * pixels;
                for (int p = 0; p < pixels; p++)
                {
                    mu += x[plane + p];
                }
            }

            mu /= m;
            double variance = 0;
            for (int n = start; n < end; n++)
            {
                int plane = ((n * c) + j) * pixels;
                for (int p = 0; p < pixels; p++)
                {
                    double d = x[plane + p] - mu;
                    variance += d * d;
                }
            }

            variance /= m;
            double inv = 1.0 / Math.Sqrt(variance + shape.Epsilon);
            mean[e] = (float)mu;
            inverseStd[e] = (float)inv;
            if (shape.Running != 0)
            {
                scratch[e] = mu;
                scratch[pairs + e] = variance;
            }

            float g = gamma[j], b = beta[j];
            for (int n = start; n < end; n++)
            {
                int plane = ((n * c) + j) * pixels;
                for (int p = 0; p < pixels; p++)
                {
                    float v = (float)((g * (x[plane + p] - mu) * inv) + b);
                    y[plane + p] = shape.Relu != 0 ? (v > 0 ? v : 0f) : v;
                }
            }
        }
    }

    /// <summary>The running statistics of channel j, updated once per segment in segment order (unbiased with m_s = images·pixels).</summary>
    public static void BatchNorm2dUpdateRunning(ArrayView<int> offsets, ArrayView<double> scratch, ArrayView<float> runningMean, ArrayView<float> runningVariance, Norm2dShape shape)
    {
        int stride = Grid.DimX * Group.DimX;
        int c = shape.Channels;
        int pairs = shape.Segments * c;
        float momentum = shape.Momentum;
        for (int j = Grid.GlobalIndex.X; j < c; j += stride)
        {
            float rm = runningMean[j], rv = runningVariance[j];
            for (int s = 0; s < shape.Segments; s++)
            {
                double m = (double)(offsets[s + 1] - offsets[s]) * shape.Pixels;
                rm = (float)(((1 - momentum) * (double)rm) + (momentum * scratch[(s * c) + j]));
                rv = (float)(((1 - momentum) * (double)rv) + (momentum * scratch[pairs + (s * c) + j] * m / (m - 1)));
            }

            runningMean[j] = rm;
            runningVariance[j] = rv;
        }
    }

    /// <summary>
    /// Thread per (segment, channel) pair e: Σdy and Σdy·x̂ in double, left unscaled in scratch (Σdy·x̂ at e, Σdy at S·C + e, the layout
    /// <see cref="BatchNormKernels.ParameterGradients"/> folds), then dx (+)= γ·inv·(dy − m1 − x̂·m2).
    /// </summary>
    public static void BatchNorm2dBackward(ArrayView<float> x, ArrayView<float> dy, ArrayView<int> offsets, ArrayView<float> gamma, ArrayView<float> mean,
        ArrayView<float> inverseStd, ArrayView<float> dx, ArrayView<double> scratch, Norm2dShape shape)
    {
        int stride = Grid.DimX * Group.DimX;
        int c = shape.Channels, pixels = shape.Pixels;
        int pairs = shape.Segments * c;
        for (int e = Grid.GlobalIndex.X; e < pairs; e += stride)
        {
            int s = e / c, j = e % c;
            int start = offsets[s], end = offsets[s + 1];
            double m = (double)(end - start) * pixels;
            double mu = mean[e], inv = inverseStd[e], m1 = 0, m2 = 0;
            for (int n = start; n < end; n++)
            {
                int plane = ((n * c) + j) * pixels;
                for (int p = 0; p < pixels; p++)
                {
                    double xh = (x[plane + p] - mu) * inv;
                    m1 += dy[plane + p];
                    m2 += dy[plane + p] * xh;
                }
            }

            scratch[e] = m2;
            scratch[pairs + e] = m1;
            m1 /= m;
            m2 /= m;
            double g = gamma[j];
            for (int n = start; n < end; n++)
            {
                int plane = ((n * c) + j) * pixels;
                for (int p = 0; p < pixels; p++)
                {
                    int at = plane + p;
                    double xh = (x[at] - mu) * inv;
                    double d = g * inv * (dy[at] - m1 - (xh * m2));
                    dx[at] = (float)((shape.Accumulate != 0 ? dx[at] : 0f) + d);
                }
            }
        }
    }

    /// <summary>Running-mode 2-d batch norm, element-wise in double.</summary>
    public static void BatchNorm2dInference(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> runningMean, ArrayView<float> runningVariance,
        ArrayView<float> y, int total, Norm2dShape shape)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int k = Grid.GlobalIndex.X; k < total; k += stride)
        {
            int j = k / shape.Pixels % shape.Channels;
            y[k] = (float)((gamma[j] * (x[k] - (double)runningMean[j]) / Math.Sqrt(runningVariance[j] + (double)shape.Epsilon)) + beta[j]);
        }
    }

    /// <summary>Thread per output: the window's first maximum in row-major order (a NaN wins over numbers), and its index h·W + w.</summary>
    public static void MaxPool2dForward(ArrayView<float> x, ArrayView<float> y, ArrayView<int> indices, PoolShape s)
    {
        int stride = Grid.DimX * Group.DimX;
        int outPixels = s.OutHeight * s.OutWidth;
        int total = s.Planes * outPixels;
        for (int e = Grid.GlobalIndex.X; e < total; e += stride)
        {
            int j = e % s.OutWidth;
            int i = e / s.OutWidth % s.OutHeight;
            int plane = e / outPixels * s.Height * s.Width;
            int best = -1;
            float bestValue = 0f;
            for (int u = 0; u < s.KernelHeight; u++)
            {
                int h = (i * s.Stride) - s.Padding + u;
                if (h < 0 || h >= s.Height)
                {
                    continue;
                }

                for (int v = 0; v < s.KernelWidth; v++)
                {
                    int w = (j * s.Stride) - s.Padding + v;
                    if (w < 0 || w >= s.Width)
                    {
                        continue;
                    }

                    float value = x[plane + (h * s.Width) + w];
                    bool valueIsNaN = float.IsNaN(value), bestIsNaN = float.IsNaN(bestValue);
                    if (best < 0 || value > bestValue || (valueIsNaN && !bestIsNaN))
                    {
                        best = (h * s.Width) + w;
                        bestValue = value;
                    }
                }
            }

            y[e] = bestValue;
            indices[e] = best;
        }
    }

    /// <summary>Thread per input pixel: the double sum, in row-major output order, of dy over the covering outputs whose winner it is.</summary>
    public static void MaxPool2dBackward(ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, PoolShape s)
    {
        int stride = Grid.DimX * Group.DimX;
        int pixels = s.Height * s.Width;
        int outPixels = s.OutHeight * s.OutWidth;
        int total = s.Planes * pixels;
        for (int e = Grid.GlobalIndex.X; e < total; e += stride)
        {
            int pixel = e % pixels;
            int h = pixel / s.Width, w = pixel % s.Width;
            int offset = e / pixels * outPixels;
            int top = h + s.Padding, left = w + s.Padding;
            int i0 = top - s.KernelHeight + 1 <= 0 ? 0 : (top - s.KernelHeight + s.Stride) / s.Stride;
            int i1 = Math.Min(s.OutHeight, (top / s.Stride) + 1);
            int j0 = left - s.KernelWidth + 1 <= 0 ? 0 : (left - s.KernelWidth + s.Stride) / s.Stride;
            int j1 = Math.Min(s.OutWidth, (left / s.Stride) + 1);
            double sum = 0;
            for (int i = i0; i < i1; i++)
            {
                for (int j = j0; j < j1; j++)
                {
                    int at = offset + (i * s.OutWidth) + j;
                    if (indices[at] == pixel)
                    {
                        sum += dy[at];
                    }
                }
            }

            dx[e] = s.Accumulate != 0 ? dx[e] + (float)sum : (float)sum;
        }
    }

    /// <summary>Thread per plane: its mean in double.</summary>
    public static void GlobalAvgPool2dForward(ArrayView<float> x, ArrayView<float> y, int planes, int pixels)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int e = Grid.GlobalIndex.X; e < planes; e += stride)
        {
            double sum = 0;
            for (int p = 0; p < pixels; p++)
            {
                sum += x[(e * pixels) + p];
            }

            y[e] = (float)(sum / pixels);
        }
    }

    /// <summary>Thread per input element: dx (+)= (float)(dy / pixels).</summary>
    public static void GlobalAvgPool2dBackward(ArrayView<float> dy, ArrayView<float> dx, int total, int pixels, int accumulate)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int e = Grid.GlobalIndex.X; e < total; e += stride)
        {
            float g = (float)(dy[e / pixels] / (double)pixels);
            dx[e] = accumulate != 0 ? dx[e] + g : g;
        }
    }
}

/// <summary>The geometry of a convolution launch.</summary>
internal readonly record struct ConvShape(int Images, int Inputs, int Height, int Width, int Outputs, int OutHeight, int OutWidth,
    int KernelHeight, int KernelWidth, int Stride, int Padding, int HasBias, int Accumulate)
{
    public static ConvShape Of(in Conv2dGeometry g, bool hasBias, bool accumulate) =>
        new(g.Images, g.Input.Channels, g.Input.Height, g.Input.Width, g.Output.Channels, g.Output.Height, g.Output.Width,
            g.Window.KernelHeight, g.Window.KernelWidth, g.Window.Stride, g.Window.Padding, hasBias ? 1 : 0, accumulate ? 1 : 0);
}

/// <summary>The sizes and flags of a 2-d batch-norm launch.</summary>
internal readonly record struct Norm2dShape(int Segments, int Channels, int Pixels, float Epsilon, float Momentum, int Relu, int Running, int Accumulate);

/// <summary>The geometry of a pooling launch (planes = N·C).</summary>
internal readonly record struct PoolShape(int Planes, int Height, int Width, int OutHeight, int OutWidth, int KernelHeight, int KernelWidth, int Stride, int Padding, int Accumulate)
{
    public static PoolShape Of(TensorShape input, Window2d window, bool accumulate)
    {
        var image = ImageShape.Of(input);
        var output = window.Output(image, image.Channels);
        return new(input[0] * image.Channels, image.Height, image.Width, output.Height, output.Width, window.KernelHeight, window.KernelWidth, window.Stride, window.Padding, accumulate ? 1 : 0);
    }
}
