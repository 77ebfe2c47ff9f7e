namespace Acr.Compute
{
    /// <summary>
    /// 2-d convolution (cross-correlation, as PyTorch's <c>Conv2d</c>) of an NCHW batch. x is <c>[N, Cin, H, W]</c>,
    /// weight <c>[Cout, Cin, KH, KW]</c>, bias <c>Cout</c> or null, y <c>[N, Cout, Ho, Wo]</c> with
    /// <c>Ho = (H + 2·padding − KH) / stride + 1</c> (likewise Wo):
    /// <c>y[n, o, i, j] = Σ_{c, a, b} x[n, c, i·stride − padding + a, j·stride − padding + b] · weight[o, c, a, b] + bias[o]</c>,
    /// x read as 0 outside the image. The sum is rounded to float before the bias is added (float addition).
    /// y must not alias x, weight or bias.
    /// </summary>
    public sealed class Conv2dForwardOp() : ComputeOp<Conv2dForwardOp, Conv2dForwardOp.Args>("conv2d-forward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input images, [N, Cin, H, W].</param>
        /// <param name="Weight">Filters, [Cout, Cin, KH, KW].</param>
        /// <param name="Bias">Bias, Cout, or null.</param>
        /// <param name="Stride">Stride on both axes, ≥ 1.</param>
        /// <param name="Padding">Zero padding on every side, ≥ 0.</param>
        /// <param name="Y">Output images, [N, Cout, Ho, Wo].</param>
        public readonly record struct Args(Tensor X, Tensor Weight, Tensor? Bias, int Stride, int Padding, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            var geometry = Conv2dGeometry.Check(check, a.X, "x", a.Weight, "weight", a.Stride, a.Padding);
            ImageArgs.Shape(check, a.Y, geometry.Output.Batch(a.X.Shape[0]), "y", $"the convolution's output, {geometry}");
            check.Floats(a.Y, "y");
            check.Distinct(a.Y, a.X, "y", "x");
            check.Distinct(a.Y, a.Weight, "y", "weight");
            if (a.Bias is { } bias)
            {
                check.Floats(bias, "bias");
                check.Length(bias, geometry.Output.Channels, "bias", "one per output channel");
                check.Distinct(a.Y, bias, "y", "bias");
            }
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var g = Conv2dGeometry.Of(a.X.Shape, a.Weight.Shape, a.Stride, a.Padding);
            var X = host.Read(a.X);
            var W = host.Read(a.Weight);
            var B = a.Bias is null ? default : host.Read(a.Bias);
            var Y = host.Write(a.Y);
            for (var n = 0; n < g.Images; n++)
            {
                for (var o = 0; o < g.Output.Channels; o++)
                {
                    for (var i = 0; i < g.Output.Height; i++)
                    {
                        for (var j = 0; j < g.Output.Width; j++)
                        {
                            double s = 0;
                            for (var c = 0; c < g.Input.Channels; c++)
                            {
                                for (var ka = 0; ka < g.Window.KernelHeight; ka++)
                                {
                                    var h = (i * g.Window.Stride) - g.Window.Padding + ka;
                                    if (h < 0 || h >= g.Input.Height)
                                    {
                                        continue;
                                    }

                                    for (var kb = 0; kb < g.Window.KernelWidth; kb++)
                                    {
                                        var w = (j * g.Window.Stride) - g.Window.Padding + kb;
                                        if (w >= 0 && w < g.Input.Width)
                                        {
                                            s += (double)X[g.InputIndex(n, c, h, w)] * W[g.WeightIndex(o, c, ka, kb)];
                                        }
                                    }
                                }
                            }

                            Y[g.OutputIndex(n, o, i, j)] = a.Bias is null ? (float)s : (float)s + B[o];
                        }
                    }
                }
            }
        }

        /// <summary>The sample geometries with and without bias; y starts as NaN. Relative tolerance of a float sum of Cin·KH·KW terms.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var s in Conv2dGeometry.Samples)
            {
                var (x, w, bias, y, _) = s.Tensors();
                var tolerance = ImageArgs.SumTolerance(s.Geometry.Depth);
                yield return new OpSample<Args>(s.Name, [x, w, bias, y], t => new Args(t[0], t[1], t[2], s.Stride, s.Padding, t[3])) { Tolerance = tolerance };
                yield return new OpSample<Args>($"{s.Name} without bias", [x, w, y], t => new Args(t[0], t[1], null, s.Stride, s.Padding, t[2])) { Tolerance = tolerance };
            }
        }
    }

    /// <summary>
    /// Input gradient of <see cref="Conv2dForwardOp"/>: <c>dx[n, c, h, w] (+)= Σ_{o, a, b} dy[n, o, i, j] · weight[o, c, a, b]</c> over the
    /// output positions (i, j) whose window reads x[n, c, h, w] at offset (a, b), i.e. <c>h = i·stride − padding + a</c>,
    /// <c>w = j·stride − padding + b</c>. Input pixels no window reads get 0 (or keep dx when accumulating).
    /// dx must not alias dy or weight.
    /// </summary>
    public sealed class Conv2dBackwardInputOp() : ComputeOp<Conv2dBackwardInputOp, Conv2dBackwardInputOp.Args>("conv2d-backward-input")
    {
        /// <summary>The arguments.</summary>
        /// <param name="Dy">Output gradient, [N, Cout, Ho, Wo].</param>
        /// <param name="Weight">Filters, [Cout, Cin, KH, KW].</param>
        /// <param name="Stride">The forward stride.</param>
        /// <param name="Padding">The forward padding.</param>
        /// <param name="Dx">Input gradient, [N, Cin, H, W] (its shape gives the input's).</param>
        /// <param name="Accumulate">Add to dx instead of overwriting it.</param>
        public readonly record struct Args(Tensor Dy, Tensor Weight, int Stride, int Padding, Tensor Dx, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            var geometry = Conv2dGeometry.Check(check, a.Dx, "dx", a.Weight, "weight", a.Stride, a.Padding);
            check.Floats(a.Dy, "dy");
            ImageArgs.Shape(check, a.Dy, geometry.Output.Batch(a.Dx.Shape[0]), "dy", $"the convolution's output, {geometry}");
            check.Distinct(a.Dx, a.Dy, "dx", "dy");
            check.Distinct(a.Dx, a.Weight, "dx", "weight");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var g = Conv2dGeometry.Of(a.Dx.Shape, a.Weight.Shape, a.Stride, a.Padding);
            var DY = host.Read(a.Dy);
            var W = host.Read(a.Weight);
            var DX = host.Write(a.Dx);
            var sums = new double[DX.Length];
            for (var n = 0; n < g.Images; n++)
            {
                for (var o = 0; o < g.Output.Channels; o++)
                {
                    for (var i = 0; i < g.Output.Height; i++)
                    {
                        for (var j = 0; j < g.Output.Width; j++)
                        {
                            double d = DY[g.OutputIndex(n, o, i, j)];
                            for (var c = 0; c < g.Input.Channels; c++)
                            {
                                for (var ka = 0; ka < g.Window.KernelHeight; ka++)
                                {
                                    var h = (i * g.Window.Stride) - g.Window.Padding + ka;
                                    for (var kb = 0; h >= 0 && h < g.Input.Height && kb < g.Window.KernelWidth; kb++)
                                    {
                                        var w = (j * g.Window.Stride) - g.Window.Padding + kb;
                                        if (w >= 0 && w < g.Input.Width)
                                        {
                                            sums[g.InputIndex(n, c, h, w)] += d * W[g.WeightIndex(o, c, ka, kb)];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }

            for (var k = 0; k < sums.Length; k++)
            {
                DX[k] = a.Accumulate ? DX[k] + (float)sums[k] : (float)sums[k];
            }
        }

        /// <summary>The sample geometries, overwriting (dx starts as NaN) and accumulating.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var s in Conv2dGeometry.Samples)
            {
                var (x, w, _, y, dyValues) = s.Tensors();
                var dy = SampleTensor.Of(y.Shape, dyValues);
                var tolerance = ImageArgs.SumTolerance(s.Geometry.Output.Channels * s.Geometry.Window.KernelHeight * s.Geometry.Window.KernelWidth);
                var nan = SampleTensor.Of(x.Shape, SampleData.Filled(x.Shape.Length, float.NaN));
                yield return new OpSample<Args>(s.Name, [dy, w, nan], t => new Args(t[0], t[1], s.Stride, s.Padding, t[2], false)) { Tolerance = tolerance };
                yield return new OpSample<Args>($"{s.Name} accumulate", [dy, w, x], t => new Args(t[0], t[1], s.Stride, s.Padding, t[2], true)) { Tolerance = tolerance };
            }
        }
    }

    /// <summary>
    /// Parameter gradients of <see cref="Conv2dForwardOp"/>:
    /// <c>dWeight[o, c, a, b] (+)= Σ_{n, i, j} dy[n, o, i, j] · x[n, c, i·stride − padding + a, j·stride − padding + b]</c> (x read as 0
    /// outside the image) and, when dBias is given, <c>dBias[o] (+)= Σ_{n, i, j} dy[n, o, i, j]</c>. Both accumulate or both
    /// overwrite. dWeight and dBias must not alias x or dy.
    /// </summary>
    public sealed class Conv2dBackwardParametersOp() : ComputeOp<Conv2dBackwardParametersOp, Conv2dBackwardParametersOp.Args>("conv2d-backward-parameters")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input images, [N, Cin, H, W].</param>
        /// <param name="Dy">Output gradient, [N, Cout, Ho, Wo].</param>
        /// <param name="Stride">The forward stride.</param>
        /// <param name="Padding">The forward padding.</param>
        /// <param name="DWeight">Filter gradient, [Cout, Cin, KH, KW] (its shape gives the kernel's).</param>
        /// <param name="DBias">Bias gradient, Cout, or null.</param>
        /// <param name="Accumulate">Add to dWeight and dBias instead of overwriting them.</param>
        public readonly record struct Args(Tensor X, Tensor Dy, int Stride, int Padding, Tensor DWeight, Tensor? DBias, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            var geometry = Conv2dGeometry.Check(check, a.X, "x", a.DWeight, "dWeight", a.Stride, a.Padding);
            check.Floats(a.Dy, "dy");
            ImageArgs.Shape(check, a.Dy, geometry.Output.Batch(a.X.Shape[0]), "dy", $"the convolution's output, {geometry}");
            check.Distinct(a.DWeight, a.X, "dWeight", "x");
            check.Distinct(a.DWeight, a.Dy, "dWeight", "dy");
            if (a.DBias is { } db)
            {
                check.Floats(db, "dBias");
                check.Length(db, geometry.Output.Channels, "dBias", "one per output channel");
                check.Distinct(db, a.X, "dBias", "x");
                check.Distinct(db, a.Dy, "dBias", "dy");
                check.Distinct(db, a.DWeight, "dBias", "dWeight");
            }
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var g = Conv2dGeometry.Of(a.X.Shape, a.DWeight.Shape, a.Stride, a.Padding);
            var X = host.Read(a.X);
            var DY = host.Read(a.Dy);
            var DW = host.Write(a.DWeight);
            var DB = a.DBias is null ? default : host.Write(a.DBias);
            for (var o = 0; o < g.Output.Channels; o++)
            {
                for (var c = 0; c < g.Input.Channels; c++)
                {
                    for (var ka = 0; ka < g.Window.KernelHeight; ka++)
                    {
                        for (var kb = 0; kb < g.Window.KernelWidth; kb++)
                        {
                            double s = 0;
                            for (var n = 0; n < g.Images; n++)
                            {
                                for (var i = 0; i < g.Output.Height; i++)
                                {
                                    var h = (i * g.Window.Stride) - g.Window.Padding + ka;
                                    for (var j = 0; h >= 0 && h < g.Input.Height && j < g.Output.Width; j++)
                                    {
                                        var w = (j * g.Window.Stride) - g.Window.Padding + kb;
                                        if (w >= 0 && w < g.Input.Width)
                                        {
                                            s += (double)DY[g.OutputIndex(n, o, i, j)] * X[g.InputIndex(n, c, h, w)];
                                        }
                                    }
                                }
                            }

                            var at = g.WeightIndex(o, c, ka, kb);
                            DW[at] = a.Accumulate ? DW[at] + (float)s : (float)s;
                        }
                    }
                }

                if (a.DBias is not null)
                {
                    double s = 0;
                    for (var n = 0; n < g.Images; n++)
                    {
                        for (var p = 0; p < g.Output.Pixels; p++)
                        {
                            s += DY[g.OutputIndex(n, o, 0, 0) + p];
                        }
                    }

                    DB[o] = a.Accumulate ? DB[o] + (float)s : (float)s;
                }
            }
        }

        /// <summary>The sample geometries with and without dBias, overwriting and accumulating. Relative tolerance of a float sum of N·Ho·Wo terms.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var s in Conv2dGeometry.Samples)
            {
                var (x, w, bias, y, dyValues) = s.Tensors();
                var dy = SampleTensor.Of(y.Shape, dyValues);
                var tolerance = ImageArgs.SumTolerance((long)s.Geometry.Images * s.Geometry.Output.Pixels);
                var nanW = SampleTensor.Of(w.Shape, SampleData.Filled(w.Shape.Length, float.NaN));
                var nanB = SampleTensor.Vector(SampleData.Filled(bias.Shape.Length, float.NaN));
                yield return new OpSample<Args>(s.Name, [x, dy, nanW, nanB], t => new Args(t[0], t[1], s.Stride, s.Padding, t[2], t[3], false)) { Tolerance = tolerance };
                yield return new OpSample<Args>($"{s.Name} accumulate", [x, dy, w, bias], t => new Args(t[0], t[1], s.Stride, s.Padding, t[2], t[3], true)) { Tolerance = tolerance };
                yield return new OpSample<Args>($"{s.Name} without dBias", [x, dy, nanW], t => new Args(t[0], t[1], s.Stride, s.Padding, t[2], null, false)) { Tolerance = tolerance };
            }
        }
    }

    /// <summary>The validated geometry of one convolution: images, input and output image shapes, and the window.</summary>
    /// <param name="Images">Images N.</param>
    /// <param name="Input">Input image shape (Cin × H × W).</param>
    /// <param name="Output">Output image shape (Cout × Ho × Wo).</param>
    /// <param name="Window">Kernel, stride and padding.</param>
    public readonly record struct Conv2dGeometry(int Images, ImageShape Input, ImageShape Output, Window2d Window)
    {
        /// <summary>Terms per output element, Cin·KH·KW (the GEMM depth of im2col).</summary>
        public int Depth => Input.Channels * Window.KernelHeight * Window.KernelWidth;

        /// <summary>The geometry of an input shape <c>[N, Cin, H, W]</c> and a weight shape <c>[Cout, Cin, KH, KW]</c> (already validated).</summary>
        /// <param name="input">The input's tensor shape.</param>
        /// <param name="weight">The weight's tensor shape.</param>
        /// <param name="stride">The stride.</param>
        /// <param name="padding">The padding.</param>
        public static Conv2dGeometry Of(TensorShape input, TensorShape weight, int stride, int padding)
        {
            var window = new Window2d(weight[2], weight[3], stride, padding);
            var image = ImageShape.Of(input);
            return new Conv2dGeometry(input[0], image, window.Output(image, weight[0]), window);
        }

        /// <summary>Flat index of x[n, c, h, w].</summary>
        public int InputIndex(int n, int c, int h, int w) => (((((n * Input.Channels) + c) * Input.Height) + h) * Input.Width) + w;

        /// <summary>Flat index of y[n, o, i, j].</summary>
        public int OutputIndex(int n, int o, int i, int j) => (((((n * Output.Channels) + o) * Output.Height) + i) * Output.Width) + j;

        /// <summary>Flat index of weight[o, c, a, b].</summary>
        public int WeightIndex(int o, int c, int a, int b) => (((((o * Input.Channels) + c) * Window.KernelHeight) + a) * Window.KernelWidth) + b;

        /// <inheritdoc />
        public override string ToString() => $"{Input} → {Output} with a {Window} window";

        /// <summary>Checks the images, the weight and the window of a convolution op.</summary>
        internal static Conv2dGeometry Check(OpValidator check, Tensor images, string imagesName, Tensor weight, string weightName, int stride, int padding)
        {
            var input = ImageArgs.Images(check, images, imagesName);
            check.Floats(weight, weightName);
            var w = weight.Shape;
            if (w.Rank != 4 || w[0] < 1 || w[2] < 1 || w[3] < 1)
            {
                check.Fail($"{weightName} must be a rank-4 filter bank [Cout, Cin, KH, KW] with Cout, KH and KW at least 1; got shape {w}.", weightName);
            }

            if (w[1] != input.Channels)
            {
                check.Fail($"{weightName} has shape {w}, filters over {w[1]} input channels, but {imagesName} has {input.Channels} channels (shape {images.Shape}).", weightName);
            }

            var window = ImageArgs.Window(check, w[2], w[3], stride, padding);
            return new Conv2dGeometry(images.Shape[0], input, ImageArgs.Output(check, window, input, w[0], weightName), window);
        }

        /// <summary>
        /// Conformance geometries: the image protocol's first two layers (1 → 8 and 16 → 17 channels, 3×3 stride 2 padding 1, shrunk in
        /// batch), odd sizes, a rectangular kernel, a kernel as large as the padded image, 1×1, strides larger than the kernel,
        /// and one large enough for parallel paths.
        /// </summary>
        internal static readonly Conv2dSample[] Samples =
        [
            new("2×1×28×28 → 8, 3×3 s2 p1", 2, 1, 28, 28, 8, 3, 3, 2, 1),
            new("3×16×7×7 → 17, 3×3 s2 p1", 3, 16, 7, 7, 17, 3, 3, 2, 1),
            new("3×5×9×7 → 4, 3×3 s1 p1", 3, 5, 9, 7, 4, 3, 3, 1, 1),
            new("2×3×8×9 → 5, 2×3 s2 p0", 2, 3, 8, 9, 5, 2, 3, 2, 0),
            new("1×2×5×5 → 3, 5×5 s1 p2", 1, 2, 5, 5, 3, 5, 5, 1, 2),
            new("2×6×5×4 → 7, 1×1 s1 p0", 2, 6, 5, 4, 7, 1, 1, 1, 0),
            new("2×2×11×10 → 3, 2×2 s3 p1", 2, 2, 11, 10, 3, 2, 2, 3, 1),
            new("4×64×4×4 → 64, 3×3 s2 p1", 4, 64, 4, 4, 64, 3, 3, 2, 1),
            new("6×8×16×16 → 16, 3×3 s1 p1", 6, 8, 16, 16, 16, 3, 3, 1, 1),
        ];
    }

    /// <summary>One conformance geometry of the convolution ops.</summary>
    internal sealed record Conv2dSample(string Name, int N, int C, int H, int W, int Outputs, int KernelHeight, int KernelWidth, int Stride, int Padding)
    {
        public Conv2dGeometry Geometry => Conv2dGeometry.Of(new TensorShape(N, C, H, W), new TensorShape(Outputs, C, KernelHeight, KernelWidth), Stride, Padding);

        /// <summary>x, weight, bias, y (NaN) and values for dy, drawn from the sample's sizes.</summary>
        public (SampleTensor X, SampleTensor Weight, SampleTensor Bias, SampleTensor Y, float[] Dy) Tensors()
        {
            var g = Geometry;
            var seed = (N * 31) + (C * 7) + H + Outputs;
            var xShape = new TensorShape(N, C, H, W);
            var wShape = new TensorShape(Outputs, C, KernelHeight, KernelWidth);
            var yShape = g.Output.Batch(N);
            return (SampleTensor.Of(xShape, SampleData.Uniform(xShape.Length, seed)), SampleTensor.Of(wShape, SampleData.Uniform(wShape.Length, seed + 1)),
                SampleTensor.Vector(SampleData.Uniform(Outputs, seed + 2)), SampleTensor.Of(yShape, SampleData.Filled(yShape.Length, float.NaN)),
                SampleData.Uniform(yShape.Length, seed + 3));
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary>2-d convolution of an NCHW batch (see <see cref="Conv2dForwardOp"/>).</summary>
            public void Conv2dForward(Tensor x, Tensor weight, Tensor? bias, int stride, int padding, Tensor y) =>
                backend.Run(Conv2dForwardOp.Instance, new Conv2dForwardOp.Args(x, weight, bias, stride, padding, y));

            /// <summary>Input gradient of the convolution (see <see cref="Conv2dBackwardInputOp"/>).</summary>
            public void Conv2dBackwardInput(Tensor dy, Tensor weight, int stride, int padding, Tensor dx, bool accumulate) =>
                backend.Run(Conv2dBackwardInputOp.Instance, new Conv2dBackwardInputOp.Args(dy, weight, stride, padding, dx, accumulate));

            /// <summary>Filter and bias gradients of the convolution (see <see cref="Conv2dBackwardParametersOp"/>).</summary>
            public void Conv2dBackwardParameters(Tensor x, Tensor dy, int stride, int padding, Tensor dWeight, Tensor? dBias, bool accumulate) =>
                backend.Run(Conv2dBackwardParametersOp.Instance, new Conv2dBackwardParametersOp.Args(x, dy, stride, padding, dWeight, dBias, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>
        /// 2-d convolution of an NCHW batch (see <see cref="Conv2dForwardOp"/>): x <c>[N, Cin, H, W]</c>, weight <c>[Cout, Cin, KH, KW]</c>,
        /// bias <c>Cout</c> or null; returns <c>[N, Cout, Ho, Wo]</c>. Backward: <see cref="Conv2dBackwardInputOp"/> for x,
        /// <see cref="Conv2dBackwardParametersOp"/> for weight and bias.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input images.</param>
        /// <param name="weight">Filters.</param>
        /// <param name="bias">Bias, or null.</param>
        /// <param name="stride">Stride on both axes.</param>
        /// <param name="padding">Zero padding on every side.</param>
        /// <exception cref="ArgumentException">Shapes do not match or the kernel does not fit.</exception>
        public static Variable Conv2d(Tape tape, Variable x, Variable weight, Variable? bias, int stride, int padding)
        {
            Guard.NotNull(tape, x, weight);
            if (x.Shape.Rank != 4 || weight.Shape.Rank != 4)
            {
                throw new ArgumentException($"conv2d: x must be [N, Cin, H, W] and weight [Cout, Cin, KH, KW]; got shapes {x.Shape} and {weight.Shape}.", nameof(x));
            }

            var window = new Window2d(weight.Shape[2], weight.Shape[3], stride, padding);
            var output = window.Output(ImageShape.Of(x.Shape), weight.Shape[0]);
            var y = tape.NewVariable(output.Batch(x.Shape[0]), AnyRequiresGrad(x, weight, bias));
            tape.Backend.Conv2dForward(x.Value, weight.Value, bias?.Value, stride, padding, y.Value);
            return tape.Record(new TapeEntry(Conv2dRule.Instance, y, x, weight, bias, Flags: (stride << 16) | padding));
        }

        private sealed class Conv2dRule() : GradientRule<Conv2dRule>("conv2d")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var backend = tape.Backend;
                var dy = entry.Output.Grad!;
                var x = entry.A;
                var w = entry.B!;
                var b = entry.C;
                int stride = entry.Flags >> 16, padding = entry.Flags & 0xFFFF;
                if (x.RequiresGrad)
                {
                    var dx = tape.GradientFor(x, out var acc);
                    backend.Conv2dBackwardInput(dy, w.Value, stride, padding, dx, acc);
                }

                if (w.RequiresGrad || b is { RequiresGrad: true })
                {
                    // One pass gives both; a frozen one goes to scratch.
                    var accW = false;
                    var dw = w.RequiresGrad ? tape.GradientFor(w, out accW) : tape.NewVariable(w.Shape, false).Value;
                    Tensor? db = null;
                    if (b is not null)
                    {
                        var accB = accW;
                        db = b.RequiresGrad ? tape.GradientFor(b, out accB) : tape.NewVariable(b.Shape, false).Value;
                        if (w.RequiresGrad && b.RequiresGrad && accB != accW)
                        {
                            throw new InvalidOperationException("Convolution weight and bias gradients are out of step; clear both before a backward pass.");
                        }

                        accW = w.RequiresGrad ? accW : accB;
                    }

                    backend.Conv2dBackwardParameters(x.Value, dy, stride, padding, dw, db, accW);
                }
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                // Small leaves: every element is perturbed twice, and each evaluation is a launch on a device backend.
                var rng = new SeededRandom(21);
                yield return new GradientCheck("1×2×4×5 → 2, 3×3 stride 2 padding 1, with bias",
                    [GradientLeaf.Random(rng, new TensorShape(1, 2, 4, 5)), GradientLeaf.Random(rng, new TensorShape(2, 2, 3, 3)), GradientLeaf.Random(rng, TensorShape.Vector(2))],
                    (t, v, _) => Conv2d(t, v[0], v[1], v[2], 2, 1));
                rng = new SeededRandom(22);
                yield return new GradientCheck("2×2×3×4 → 2, 2×3 stride 1 padding 0, without bias",
                    [GradientLeaf.Random(rng, new TensorShape(2, 2, 3, 4)), GradientLeaf.Random(rng, new TensorShape(2, 2, 2, 3))],
                    (t, v, _) => Conv2d(t, v[0], v[1], null, 1, 0));
                rng = new SeededRandom(23);
                yield return new GradientCheck("two stacked 3×3 stride 2 padding 1 layers (the image protocol's shape, shrunk)",
                    [GradientLeaf.Random(rng, new TensorShape(1, 1, 5, 5)), GradientLeaf.Random(rng, new TensorShape(2, 1, 3, 3)), GradientLeaf.Random(rng, new TensorShape(1, 2, 3, 3)), GradientLeaf.Random(rng, TensorShape.Vector(1))],
                    (t, v, _) => Conv2d(t, Conv2d(t, v[0], v[1], null, 2, 1), v[2], v[3], 2, 1));
            }
        }
    }
}
