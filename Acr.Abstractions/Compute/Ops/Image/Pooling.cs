namespace Acr.Compute
{
    /// <summary>
    /// 2-d max pooling of an NCHW batch over a <see cref="Window2d"/> (padding at most half the kernel on each axis, so every
    /// window holds a pixel; padded positions never win). <c>y[n, c, i, j]</c> is the maximum of the window at
    /// <c>(i·stride − padding, j·stride − padding)</c> and <c>indices[n, c, i, j] = h·W + w</c> records its winner, the first in
    /// row-major window order; a NaN wins over every number (the first NaN), so NaN propagates. y and indices (Int32) have shape
    /// <c>[N, C, Ho, Wo]</c> and must not alias x.
    /// </summary>
    public sealed class MaxPool2dForwardOp() : ComputeOp<MaxPool2dForwardOp, MaxPool2dForwardOp.Args>("max-pool-2d-forward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input images, [N, C, H, W].</param>
        /// <param name="Window">Kernel, stride and padding.</param>
        /// <param name="Y">Maxima, [N, C, Ho, Wo].</param>
        /// <param name="Indices">Winners (Int32, h·W + w within the channel's plane), [N, C, Ho, Wo].</param>
        public readonly record struct Args(Tensor X, Window2d Window, Tensor Y, Tensor Indices);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            var output = PoolArgs.Check(check, a.X, "x", a.Window);
            check.Floats(a.Y, "y");
            check.Indices(a.Indices, "indices");
            ImageArgs.Shape(check, a.Y, output.Batch(a.X.Shape[0]), "y", $"the pooled images, {a.Window}");
            ImageArgs.Shape(check, a.Indices, output.Batch(a.X.Shape[0]), "indices", "one winner per output");
            check.Distinct(a.Y, a.X, "y", "x");
            check.Distinct(a.Indices, a.X, "indices", "x");
            check.Distinct(a.Indices, a.Y, "indices", "y");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var input = ImageShape.Of(a.X.Shape);
            var output = a.Window.Output(input, input.Channels);
            var X = host.Read(a.X);
            var Y = host.Write(a.Y);
            var I = host.WriteInt32(a.Indices);
            int planes = a.X.Shape[0] * input.Channels, k = a.Window.Stride, p = a.Window.Padding;
            for (var plane = 0; plane < planes; plane++)
            {
                var inPlane = X.Slice(plane * input.Pixels, input.Pixels);
                for (var i = 0; i < output.Height; i++)
                {
                    for (var j = 0; j < output.Width; j++)
                    {
                        var best = -1;
                        var bestValue = 0f;
                        for (var u = 0; u < a.Window.KernelHeight; u++)
                        {
                            var h = (i * k) - p + u;
                            for (var v = 0; h >= 0 && h < input.Height && v < a.Window.KernelWidth; v++)
                            {
                                var w = (j * k) - p + v;
                                if (w < 0 || w >= input.Width)
                                {
                                    continue;
                                }

                                var value = inPlane[(h * input.Width) + w];
                                if (best < 0 || value > bestValue || (float.IsNaN(value) && !float.IsNaN(bestValue)))
                                {
                                    best = (h * input.Width) + w;
                                    bestValue = value;
                                }
                            }
                        }

                        var at = (plane * output.Pixels) + (i * output.Width) + j;
                        Y[at] = bestValue;
                        I[at] = best;
                    }
                }
            }
        }

        /// <summary>The pooling sample geometries (with ties, NaN and infinities in one of them); outputs start as NaN and −1.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var s in PoolArgs.Samples)
            {
                var (x, y, indices, _) = s.Tensors();
                yield return new OpSample<Args>(s.Name, [x, y, indices], t => new Args(t[0], s.Window, t[1], t[2]));
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="MaxPool2dForwardOp"/>: every input pixel gets the sum of dy over the outputs whose recorded winner it is,
    /// <c>dx[n, c, h, w] (+)= Σ_{(i, j): indices[n, c, i, j] = h·W + w} dy[n, c, i, j]</c> (in double, rounded once, outputs in
    /// row-major order). dx must not alias dy.
    /// </summary>
    public sealed class MaxPool2dBackwardOp() : ComputeOp<MaxPool2dBackwardOp, MaxPool2dBackwardOp.Args>("max-pool-2d-backward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="Dy">Output gradient, [N, C, Ho, Wo].</param>
        /// <param name="Indices">The forward winners (Int32), [N, C, Ho, Wo]; each must lie inside its output's window.</param>
        /// <param name="Window">The forward window.</param>
        /// <param name="Dx">Input gradient, [N, C, H, W] (its shape gives the input's).</param>
        /// <param name="Accumulate">Add to dx instead of overwriting it.</param>
        public readonly record struct Args(Tensor Dy, Tensor Indices, Window2d Window, Tensor Dx, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            var output = PoolArgs.Check(check, a.Dx, "dx", a.Window);
            check.Floats(a.Dy, "dy");
            check.Indices(a.Indices, "indices");
            ImageArgs.Shape(check, a.Dy, output.Batch(a.Dx.Shape[0]), "dy", $"the pooled images, {a.Window}");
            ImageArgs.Shape(check, a.Indices, output.Batch(a.Dx.Shape[0]), "indices", "one winner per output");
            check.Distinct(a.Dx, a.Dy, "dx", "dy");
            check.Distinct(a.Dx, a.Indices, "dx", "indices");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var input = ImageShape.Of(a.Dx.Shape);
            var output = a.Window.Output(input, input.Channels);
            var DY = host.Read(a.Dy);
            var I = host.ReadInt32(a.Indices);
            var DX = host.Write(a.Dx);
            var planes = a.Dx.Shape[0] * input.Channels;
            var sums = new double[input.Pixels];
            for (var plane = 0; plane < planes; plane++)
            {
                Array.Clear(sums);
                for (var o = 0; o < output.Pixels; o++)
                {
                    var at = (plane * output.Pixels) + o;
                    var winner = I[at];
                    if (PoolArgs.InWindow(a.Window, input, output.Width, o, winner))
                    {
                        sums[winner] += DY[at];
                    }
                }

                for (var q = 0; q < input.Pixels; q++)
                {
                    var at = (plane * input.Pixels) + q;
                    DX[at] = a.Accumulate ? DX[at] + (float)sums[q] : (float)sums[q];
                }
            }
        }

        /// <summary>The pooling sample geometries with the reference's winners, overwriting (dx starts as NaN) and accumulating.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var s in PoolArgs.Samples)
            {
                var (x, y, _, dyValues) = s.Tensors();
                var indices = s.Winners(x);
                var dy = SampleTensor.Of(y.Shape, dyValues);
                var nan = SampleTensor.Of(x.Shape, SampleData.Filled(x.Shape.Length, float.NaN));
                var old = SampleTensor.Of(x.Shape, SampleData.Uniform(x.Shape.Length, 77));
                yield return new OpSample<Args>(s.Name, [dy, indices, nan], t => new Args(t[0], t[1], s.Window, t[2], false));
                yield return new OpSample<Args>($"{s.Name} accumulate", [dy, indices, old], t => new Args(t[0], t[1], s.Window, t[2], true));
            }
        }
    }

    /// <summary>Global average pooling: <c>y[n, c] = (Σ_{h, w} x[n, c, h, w]) / (H·W)</c> (in double, rounded once); y is an N×C matrix and must not alias x.</summary>
    public sealed class GlobalAvgPool2dForwardOp() : ComputeOp<GlobalAvgPool2dForwardOp, GlobalAvgPool2dForwardOp.Args>("global-avg-pool-2d-forward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input images, [N, C, H, W].</param>
        /// <param name="Y">Channel means, N×C.</param>
        public readonly record struct Args(Tensor X, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            var image = ImageArgs.Images(check, a.X, "x");
            check.Floats(a.Y, "y");
            check.Matrix(a.Y, a.X.Shape[0], image.Channels, "y");
            check.Distinct(a.Y, a.X, "y", "x");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var pixels = ImageShape.Of(a.X.Shape).Pixels;
            var X = host.Read(a.X);
            var Y = host.Write(a.Y);
            for (var plane = 0; plane < Y.Length; plane++)
            {
                double s = 0;
                for (var p = 0; p < pixels; p++)
                {
                    s += X[(plane * pixels) + p];
                }

                Y[plane] = (float)(s / pixels);
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (n, c, h, w) in PoolArgs.AverageShapes)
            {
                var x = SampleTensor.Of(new TensorShape(n, c, h, w), SampleData.Uniform(n * c * h * w, c + h));
                yield return new OpSample<Args>($"{n}×{c}×{h}×{w}", [x, SampleTensor.Of(TensorShape.Matrix(n, c), SampleData.Filled(n * c, float.NaN))], t => new Args(t[0], t[1]));
            }
        }
    }

    /// <summary>Backward of <see cref="GlobalAvgPool2dForwardOp"/>: <c>dx[n, c, h, w] (+)= (float)(dy[n, c] / (H·W))</c>. dx must not alias dy.</summary>
    public sealed class GlobalAvgPool2dBackwardOp() : ComputeOp<GlobalAvgPool2dBackwardOp, GlobalAvgPool2dBackwardOp.Args>("global-avg-pool-2d-backward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="Dy">Gradient of the channel means, N×C.</param>
        /// <param name="Dx">Input gradient, [N, C, H, W].</param>
        /// <param name="Accumulate">Add to dx instead of overwriting it.</param>
        public readonly record struct Args(Tensor Dy, Tensor Dx, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            var image = ImageArgs.Images(check, a.Dx, "dx");
            check.Floats(a.Dy, "dy");
            check.Matrix(a.Dy, a.Dx.Shape[0], image.Channels, "dy");
            check.Distinct(a.Dx, a.Dy, "dx", "dy");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var pixels = ImageShape.Of(a.Dx.Shape).Pixels;
            var DY = host.Read(a.Dy);
            var DX = host.Write(a.Dx);
            for (var plane = 0; plane < DY.Length; plane++)
            {
                var g = (float)(DY[plane] / (double)pixels);
                for (var p = 0; p < pixels; p++)
                {
                    var at = (plane * pixels) + p;
                    DX[at] = a.Accumulate ? DX[at] + g : g;
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (n, c, h, w) in PoolArgs.AverageShapes)
            {
                var shape = new TensorShape(n, c, h, w);
                var dy = SampleTensor.Of(TensorShape.Matrix(n, c), SampleData.Uniform(n * c, c));
                yield return new OpSample<Args>($"{n}×{c}×{h}×{w}", [dy, SampleTensor.Of(shape, SampleData.Filled(shape.Length, float.NaN))], t => new Args(t[0], t[1], false)) { Tolerance = 0 };
                yield return new OpSample<Args>($"{n}×{c}×{h}×{w} accumulate", [dy, SampleTensor.Of(shape, SampleData.Uniform(shape.Length, 9))], t => new Args(t[0], t[1], true)) { Tolerance = 0 };
            }
        }
    }

    /// <summary>Argument rules and samples of the pooling ops.</summary>
    internal static class PoolArgs
    {
        /// <summary>Global-average-pool sample shapes: single pixels, odd sizes, the image protocol's last map, a parallel-sized one.</summary>
        public static readonly (int N, int C, int H, int W)[] AverageShapes = [(1, 1, 1, 1), (3, 5, 2, 3), (4, 64, 2, 2), (2, 17, 7, 7), (64, 64, 4, 4)];

        /// <summary>Max-pool sample geometries.</summary>
        public static readonly PoolSample[] Samples =
        [
            new("2×3×8×8, 2×2 s2 p0", 2, 3, 8, 8, new Window2d(2, 2, 2, 0), Special: false),
            new("2×2×7×9, 3×3 s2 p1 (overlapping windows)", 2, 2, 7, 9, new Window2d(3, 3, 2, 1), Special: false),
            new("1×4×5×6, 3×2 s1 p1", 1, 4, 5, 6, new Window2d(3, 2, 1, 1), Special: false),
            new("3×2×6×6, 2×2 s3 p1 (gaps between windows)", 3, 2, 6, 6, new Window2d(2, 2, 3, 1), Special: false),
            new("2×3×6×6, 3×3 s1 p1 with ties, NaN and ±∞", 2, 3, 6, 6, new Window2d(3, 3, 1, 1), Special: true),
            new("8×16×14×14, 2×2 s2 p0", 8, 16, 14, 14, new Window2d(2, 2, 2, 0), Special: false),
        ];

        /// <summary>x is an image batch and the window pools it (padding at most half the kernel on each axis); returns the output image shape.</summary>
        public static ImageShape Check(OpValidator check, Tensor x, string name, Window2d window)
        {
            var input = ImageArgs.Images(check, x, name);
            if (window.KernelHeight < 1 || window.KernelWidth < 1 || window.Stride < 1)
            {
                check.Fail($"the window must have a kernel of at least 1×1 and a stride of at least 1; got {window} (create it with new Window2d(...)).", "window");
            }

            if (2 * window.Padding > window.KernelHeight || 2 * window.Padding > window.KernelWidth)
            {
                check.Fail($"max-pool padding may be at most half the kernel ({window}); a window of padding alone has no pixel to take.", "window");
            }

            return ImageArgs.Output(check, window, input, input.Channels, "window");
        }

        /// <summary>Whether <paramref name="winner"/> is a pixel of output <paramref name="o"/>'s window (so a corrupt index contributes nothing).</summary>
        public static bool InWindow(Window2d window, ImageShape input, int outputWidth, int o, int winner)
        {
            if (winner < 0 || winner >= input.Pixels)
            {
                return false;
            }

            int h = winner / input.Width, w = winner % input.Width;
            int h0 = ((o / outputWidth) * window.Stride) - window.Padding, w0 = ((o % outputWidth) * window.Stride) - window.Padding;
            return h >= h0 && h < h0 + window.KernelHeight && w >= w0 && w < w0 + window.KernelWidth;
        }
    }

    /// <summary>One max-pool sample geometry; <paramref name="Special"/> puts ties, NaN and infinities into x.</summary>
    internal sealed record PoolSample(string Name, int N, int C, int H, int W, Window2d Window, bool Special)
    {
        /// <summary>x, y (NaN), indices (−1) and values for dy.</summary>
        public (SampleTensor X, SampleTensor Y, SampleTensor Indices, float[] Dy) Tensors()
        {
            var shape = new TensorShape(N, C, H, W);
            var values = SampleData.Uniform(shape.Length, N + C + H);
            if (Special)
            {
                for (var i = 0; i < values.Length; i++)
                {
                    // Quantised values tie often; a few NaN and infinities.
                    values[i] = MathF.Round(values[i] * 2f) / 2f;
                    values[i] = (i % 23) switch { 5 => float.NaN, 11 => float.PositiveInfinity, 17 => float.NegativeInfinity, _ => values[i] };
                }
            }

            var output = new ImageShape(C, H, W);
            var outShape = Window.Output(output, C).Batch(N);
            return (SampleTensor.Of(shape, values), SampleTensor.Of(outShape, SampleData.Filled(outShape.Length, float.NaN)),
                SampleTensor.Of(outShape, Enumerable.Repeat(-1, outShape.Length).ToArray()), SampleData.Uniform(outShape.Length, N + C + H + 1));
        }

        /// <summary>The reference's winners for x.</summary>
        public SampleTensor Winners(SampleTensor x)
        {
            using var reference = new ReferenceBackend();
            using var xt = reference.Allocate(x.Shape);
            reference.Upload(x.Floats!, xt);
            var outShape = Window.Output(new ImageShape(C, H, W), C).Batch(N);
            using var y = reference.Allocate(outShape);
            using var indices = reference.Allocate(outShape, DataType.Int32);
            reference.MaxPool2dForward(xt, Window, y, indices);
            return SampleTensor.Of(outShape, indices.ToInt32Array());
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary>2-d max pooling with recorded winners (see <see cref="MaxPool2dForwardOp"/>).</summary>
            public void MaxPool2dForward(Tensor x, Window2d window, Tensor y, Tensor indices) =>
                backend.Run(MaxPool2dForwardOp.Instance, new MaxPool2dForwardOp.Args(x, window, y, indices));

            /// <summary>Backward of 2-d max pooling (see <see cref="MaxPool2dBackwardOp"/>).</summary>
            public void MaxPool2dBackward(Tensor dy, Tensor indices, Window2d window, Tensor dx, bool accumulate) =>
                backend.Run(MaxPool2dBackwardOp.Instance, new MaxPool2dBackwardOp.Args(dy, indices, window, dx, accumulate));

            /// <summary>Global average pooling to an N×C matrix (see <see cref="GlobalAvgPool2dForwardOp"/>).</summary>
            public void GlobalAvgPool2dForward(Tensor x, Tensor y) => backend.Run(GlobalAvgPool2dForwardOp.Instance, new GlobalAvgPool2dForwardOp.Args(x, y));

            /// <summary>Backward of global average pooling (see <see cref="GlobalAvgPool2dBackwardOp"/>).</summary>
            public void GlobalAvgPool2dBackward(Tensor dy, Tensor dx, bool accumulate) => backend.Run(GlobalAvgPool2dBackwardOp.Instance, new GlobalAvgPool2dBackwardOp.Args(dy, dx, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>
        /// 2-d max pooling (see <see cref="MaxPool2dForwardOp"/>): x <c>[N, C, H, W]</c> to <c>[N, C, Ho, Wo]</c>; the winners are
        /// recorded for the backward pass, which routes each output's gradient to its winner.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input images.</param>
        /// <param name="window">Kernel, stride and padding (at most half the kernel).</param>
        /// <exception cref="ArgumentException">x is not an image batch or the window does not fit.</exception>
        public static Variable MaxPool2d(Tape tape, Variable x, Window2d window)
        {
            Guard.NotNull(tape, x);
            var output = window.Output(ImageShape.Of(x.Shape), x.Shape[1]).Batch(x.Shape[0]);
            var y = tape.NewVariable(output, x.RequiresGrad);
            var indices = tape.NewVariable(output, false, DataType.Int32);
            tape.Backend.MaxPool2dForward(x.Value, window, y.Value, indices.Value);
            return tape.Record(new TapeEntry(MaxPool2dRule.Instance, y, x, indices, State: window));
        }

        /// <summary>Global average pooling (see <see cref="GlobalAvgPool2dForwardOp"/>): x <c>[N, C, H, W]</c> to the N×C matrix of channel means.</summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input images.</param>
        /// <exception cref="ArgumentException">x is not an image batch.</exception>
        public static Variable GlobalAvgPool2d(Tape tape, Variable x)
        {
            Guard.NotNull(tape, x);
            var image = ImageShape.Of(x.Shape);
            var y = tape.NewVariable(TensorShape.Matrix(x.Shape[0], image.Channels), x.RequiresGrad);
            tape.Backend.GlobalAvgPool2dForward(x.Value, y.Value);
            return tape.Record(new TapeEntry(GlobalAvgPool2dRule.Instance, y, x));
        }

        private sealed class MaxPool2dRule() : GradientRule<MaxPool2dRule>("max-pool-2d")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                if (entry.A.RequiresGrad)
                {
                    var dx = tape.GradientFor(entry.A, out var acc);
                    tape.Backend.MaxPool2dBackward(entry.Output.Grad!, entry.B!.Value, (Window2d)entry.State!, dx, acc);
                }
            }

            /// <summary>Distinct inputs 0.1 apart (a step of 1e-2 never changes a winner), in shuffled order.</summary>
            public override IEnumerable<GradientCheck> GradientChecks()
            {
                yield return Check("2×2×5×6, 3×3 stride 2 padding 1 (overlapping)", new TensorShape(2, 2, 5, 6), new Window2d(3, 3, 2, 1), 31);
                yield return Check("1×3×4×4, 2×2 stride 2", new TensorShape(1, 3, 4, 4), new Window2d(2, 2, 2, 0), 32);
            }

            private static GradientCheck Check(string name, TensorShape shape, Window2d window, ulong seed)
            {
                var rng = new SeededRandom(seed);
                var values = Enumerable.Range(0, shape.Length).Select(i => (i - (shape.Length / 2)) * 0.1f).ToArray();
                for (var i = values.Length - 1; i > 0; i--)
                {
                    var j = (int)(rng.NextUniform(0f, 1f) * (i + 1)) % (i + 1);
                    (values[i], values[j]) = (values[j], values[i]);
                }

                return new GradientCheck(name, [new GradientLeaf(shape, values)], (t, v, _) => MaxPool2d(t, v[0], window));
            }
        }

        private sealed class GlobalAvgPool2dRule() : GradientRule<GlobalAvgPool2dRule>("global-avg-pool-2d")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                if (entry.A.RequiresGrad)
                {
                    var dx = tape.GradientFor(entry.A, out var acc);
                    tape.Backend.GlobalAvgPool2dBackward(entry.Output.Grad!, dx, acc);
                }
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                var rng = new SeededRandom(33);
                yield return new GradientCheck("3×4×3×5", [GradientLeaf.Random(rng, new TensorShape(3, 4, 3, 5))], (t, v, _) => GlobalAvgPool2d(t, v[0]));
                rng = new SeededRandom(34);
                yield return new GradientCheck("conv, then pooled (the image protocol's head)",
                    [GradientLeaf.Random(rng, new TensorShape(2, 2, 4, 4)), GradientLeaf.Random(rng, new TensorShape(3, 2, 3, 3))],
                    (t, v, _) => GlobalAvgPool2d(t, Conv2d(t, v[0], v[1], null, 2, 1)));
            }
        }
    }
}
