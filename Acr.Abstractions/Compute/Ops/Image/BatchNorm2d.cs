namespace Acr.Compute
{
    /// <summary>
    /// Batch-mode 2-d batch norm of an NCHW batch with one set of statistics per (segment of images, channel), then an
    /// optional activation in the same pass. For segment s with images R_s, channel c and its m_s = |R_s|·H·W values
    /// (m_s ≥ 2): <c>μ = (1/m_s) Σ_{n∈R_s, h, w} x[n,c,h,w]</c>, <c>σ² = (1/m_s) Σ (x − μ)²</c> (population variance),
    /// <c>inv = 1/√(σ² + epsilon)</c>, <c>y = act(gamma[c] · (x − μ) · inv + beta[c])</c>; <c>mean[s,c] = μ</c>,
    /// <c>inverseStd[s,c] = inv</c> (both S×C). If running statistics are given, then for s = 0, 1, …, S−1 in order:
    /// <c>runningMean = (1 − momentum)·runningMean + momentum·μ_s</c>,
    /// <c>runningVariance = (1 − momentum)·runningVariance + momentum·σ²_s·m_s/(m_s − 1)</c> — exactly S separate PyTorch
    /// <c>BatchNorm2d</c> training-mode passes, one per segment. Running each segment alone gives the same output and
    /// statistics. y may not alias x.
    /// </summary>
    public sealed class BatchNorm2dForwardOp() : ComputeOp<BatchNorm2dForwardOp, BatchNorm2dForwardOp.Args>("batch-norm-2d-forward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input images, [N, C, H, W].</param>
        /// <param name="Segments">Segments of images; they cover the N images and each holds at least 2 values per channel.</param>
        /// <param name="Gamma">Scale, C.</param>
        /// <param name="Beta">Shift, C.</param>
        /// <param name="Epsilon">Variance epsilon.</param>
        /// <param name="Activation">The activation applied to the normalised output.</param>
        /// <param name="Y">Output, [N, C, H, W].</param>
        /// <param name="Mean">Per-segment means, S×C (written).</param>
        /// <param name="InverseStd">Per-segment 1/√(σ²+ε), S×C (written).</param>
        /// <param name="RunningMean">Running mean to update (C), or null.</param>
        /// <param name="RunningVariance">Running unbiased variance to update (C); non-null iff RunningMean is.</param>
        /// <param name="Momentum">Running-statistics momentum (PyTorch convention: weight of the new value).</param>
        public readonly record struct Args(Tensor X, BatchSegments Segments, Tensor Gamma, Tensor Beta, float Epsilon, Activation Activation,
            Tensor Y, Tensor Mean, Tensor InverseStd, Tensor? RunningMean, Tensor? RunningVariance, float Momentum);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            if (a.Activation is not (Activation.None or Activation.Relu))
            {
                check.Fail($"unknown activation {a.Activation}; batch norm fuses None or Relu.", "activation");
            }

            var image = BatchNorm2dArgs.Check(check, a.X, a.Segments);
            var channels = image.Channels;
            check.Floats((a.Gamma, "gamma"), (a.Beta, "beta"), (a.Y, "y"), (a.Mean, "mean"), (a.InverseStd, "inverseStd"));
            check.Length(a.Gamma, channels, "gamma", "one per channel");
            check.Length(a.Beta, channels, "beta", "one per channel");
            ImageArgs.Shape(check, a.Y, a.X.Shape, "y", "the shape of x");
            check.Distinct(a.Y, a.X, "y", "x");
            check.Statistics(a.Mean, a.Segments.Count, channels, "mean");
            check.Statistics(a.InverseStd, a.Segments.Count, channels, "inverseStd");
            if ((a.RunningMean is null) != (a.RunningVariance is null))
            {
                check.Fail("runningMean and runningVariance must both be given or both be null.", a.RunningMean is null ? "runningMean" : "runningVariance");
            }

            if (a.RunningMean is { } rm && a.RunningVariance is { } rv)
            {
                check.Floats((rm, "runningMean"), (rv, "runningVariance"));
                check.Length(rm, channels, "runningMean", "one per channel");
                check.Length(rv, channels, "runningVariance", "one per channel");
            }
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var image = ImageShape.Of(a.X.Shape);
            int c = image.Channels, pixels = image.Pixels;
            var X = host.Read(a.X);
            var G = host.Read(a.Gamma);
            var B = host.Read(a.Beta);
            var Y = host.Write(a.Y);
            var M = host.Write(a.Mean);
            var I = host.Write(a.InverseStd);
            var RM = a.RunningMean is null ? default : host.Write(a.RunningMean);
            var RV = a.RunningVariance is null ? default : host.Write(a.RunningVariance);
            var segments = a.Segments;
            for (var s = 0; s < segments.Count; s++)
            {
                int start = segments.Start(s), end = start + segments.Length(s);
                var m = (double)segments.Length(s) * pixels;
                for (var j = 0; j < c; j++)
                {
                    double mu = 0;
                    for (var n = start; n < end; n++)
                    {
                        var plane = ((n * c) + j) * pixels;
                        for (var p = 0; p < pixels; p++)
                        {
                            mu += X[plane + p];
                        }
                    }

                    mu /= m;
                    double variance = 0;
                    for (var n = start; n < end; n++)
                    {
                        var plane = ((n * c) + j) * pixels;
                        for (var p = 0; p < pixels; p++)
                        {
                            var d = X[plane + p] - mu;
                            variance += d * d;
                        }
                    }

                    variance /= m;
                    var inv = 1.0 / Math.Sqrt(variance + a.Epsilon);
                    M[(s * c) + j] = (float)mu;
                    I[(s * c) + j] = (float)inv;
                    for (var n = start; n < end; n++)
                    {
                        var plane = ((n * c) + j) * pixels;
                        for (var p = 0; p < pixels; p++)
                        {
                            var y = (float)((G[j] * (X[plane + p] - mu) * inv) + B[j]);
                            Y[plane + p] = a.Activation == Activation.Relu ? (y > 0 ? y : 0) : y;
                        }
                    }

                    if (a.RunningMean is not null)
                    {
                        RM[j] = (float)(((1 - a.Momentum) * (double)RM[j]) + (a.Momentum * mu));
                        RV[j] = (float)(((1 - a.Momentum) * (double)RV[j]) + (a.Momentum * variance * m / (m - 1)));
                    }
                }
            }
        }

        /// <summary>Every sample layout: with and without running statistics, and fused with ReLU; outputs start as NaN.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var layout in BatchNorm2dArgs.Layouts)
            {
                var (x, gamma, beta, rm, rv) = layout.Data();
                var y = SampleTensor.Of(x.Shape, SampleData.Filled(x.Shape.Length, float.NaN));
                var stats = SampleTensor.Of(TensorShape.Matrix(layout.Lengths.Length, layout.C), SampleData.Filled(layout.Lengths.Length * layout.C, float.NaN));
                yield return new OpSample<Args>(layout.Name, [x, gamma, beta, y, stats, stats, rm, rv],
                    t => new Args(t[0], t.Segments!, t[1], t[2], 1e-5f, Activation.None, t[3], t[4], t[5], t[6], t[7], 0.1f)) { Segments = layout.Lengths };
                yield return new OpSample<Args>($"{layout.Name} without running statistics", [x, gamma, beta, y, stats, stats],
                    t => new Args(t[0], t.Segments!, t[1], t[2], 1e-3f, Activation.None, t[3], t[4], t[5], null, null, 0.1f)) { Segments = layout.Lengths };
                yield return new OpSample<Args>($"{layout.Name} with ReLU", [x, gamma, beta, y, stats, stats, rm, rv],
                    t => new Args(t[0], t.Segments!, t[1], t[2], 1e-5f, Activation.Relu, t[3], t[4], t[5], t[6], t[7], 0.3f)) { Segments = layout.Lengths };
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="BatchNorm2dForwardOp"/> (before its activation). With <c>x̂ = (x − μ_s)·inv_s</c> and, per segment and
    /// channel over its m_s values, <c>m1 = mean(dy)</c>, <c>m2 = mean(dy · x̂)</c>: <c>dx (+)= gamma · inv_s · (dy − m1 − x̂ · m2)</c>;
    /// <c>dGamma[c] (+)= Σ dy·x̂</c> and <c>dBeta[c] (+)= Σ dy</c> over every image and pixel. dx must not alias x or dy.
    /// </summary>
    public sealed class BatchNorm2dBackwardOp() : ComputeOp<BatchNorm2dBackwardOp, BatchNorm2dBackwardOp.Args>("batch-norm-2d-backward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">The forward input, [N, C, H, W].</param>
        /// <param name="Dy">Gradient of the (pre-activation) output, [N, C, H, W].</param>
        /// <param name="Segments">The forward segments.</param>
        /// <param name="Gamma">Scale, C.</param>
        /// <param name="Mean">The forward pass's per-segment means, S×C.</param>
        /// <param name="InverseStd">The forward pass's per-segment inverse standard deviations, S×C.</param>
        /// <param name="Dx">Gradient with respect to x, [N, C, H, W].</param>
        /// <param name="AccumulateInput">Add to dx instead of overwriting it.</param>
        /// <param name="DGamma">Gradient with respect to gamma, C.</param>
        /// <param name="DBeta">Gradient with respect to beta, C.</param>
        /// <param name="AccumulateParameters">Add to dGamma and dBeta instead of overwriting them.</param>
        public readonly record struct Args(Tensor X, Tensor Dy, BatchSegments Segments, Tensor Gamma, Tensor Mean, Tensor InverseStd,
            Tensor Dx, bool AccumulateInput, Tensor DGamma, Tensor DBeta, bool AccumulateParameters);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            var channels = BatchNorm2dArgs.Check(check, a.X, a.Segments).Channels;
            check.Floats((a.Dy, "dy"), (a.Gamma, "gamma"), (a.Mean, "mean"), (a.InverseStd, "inverseStd"), (a.Dx, "dx"), (a.DGamma, "dGamma"), (a.DBeta, "dBeta"));
            ImageArgs.Shape(check, a.Dy, a.X.Shape, "dy", "the shape of x");
            ImageArgs.Shape(check, a.Dx, a.X.Shape, "dx", "the shape of x");
            check.Length(a.Gamma, channels, "gamma", "one per channel");
            check.Statistics(a.Mean, a.Segments.Count, channels, "mean");
            check.Statistics(a.InverseStd, a.Segments.Count, channels, "inverseStd");
            check.Length(a.DGamma, channels, "dGamma", "one per channel");
            check.Length(a.DBeta, channels, "dBeta", "one per channel");
            check.Distinct(a.Dx, a.X, "dx", "x");
            check.Distinct(a.Dx, a.Dy, "dx", "dy");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var image = ImageShape.Of(a.X.Shape);
            int c = image.Channels, pixels = image.Pixels;
            var X = host.Read(a.X);
            var DY = host.Read(a.Dy);
            var G = host.Read(a.Gamma);
            var M = host.Read(a.Mean);
            var I = host.Read(a.InverseStd);
            var DX = host.Write(a.Dx);
            var DG = host.Write(a.DGamma);
            var DB = host.Write(a.DBeta);
            var dg = new double[c];
            var db = new double[c];
            var segments = a.Segments;
            for (var s = 0; s < segments.Count; s++)
            {
                int start = segments.Start(s), end = start + segments.Length(s);
                var m = (double)segments.Length(s) * pixels;
                for (var j = 0; j < c; j++)
                {
                    double mu = M[(s * c) + j], inv = I[(s * c) + j], m1 = 0, m2 = 0;
                    for (var n = start; n < end; n++)
                    {
                        var plane = ((n * c) + j) * pixels;
                        for (var p = 0; p < pixels; p++)
                        {
                            var xh = (X[plane + p] - mu) * inv;
                            m1 += DY[plane + p];
                            m2 += DY[plane + p] * xh;
                        }
                    }

                    dg[j] += m2;
                    db[j] += m1;
                    m1 /= m;
                    m2 /= m;
                    for (var n = start; n < end; n++)
                    {
                        var plane = ((n * c) + j) * pixels;
                        for (var p = 0; p < pixels; p++)
                        {
                            var xh = (X[plane + p] - mu) * inv;
                            var g = G[j] * inv * (DY[plane + p] - m1 - (xh * m2));
                            DX[plane + p] = (float)((a.AccumulateInput ? DX[plane + p] : 0) + g);
                        }
                    }
                }
            }

            for (var j = 0; j < c; j++)
            {
                DG[j] = (float)((a.AccumulateParameters ? DG[j] : 0) + dg[j]);
                DB[j] = (float)((a.AccumulateParameters ? DB[j] : 0) + db[j]);
            }
        }

        /// <summary>Every sample layout × overwrite/accumulate of dx and of the parameter gradients; the forward statistics come from the reference.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var layout in BatchNorm2dArgs.Layouts)
            {
                var (x, gamma, _, _, _) = layout.Data();
                var (mean, inv) = layout.Statistics(x, gamma);
                var length = x.Shape.Length;
                var dy = SampleTensor.Of(x.Shape, SampleData.Uniform(length, layout.C + 5));
                foreach (var (accInput, accParams) in new[] { (false, false), (true, true), (true, false), (false, true) })
                {
                    var dx = SampleTensor.Of(x.Shape, accInput ? SampleData.Uniform(length, layout.C + 6) : SampleData.Filled(length, float.NaN));
                    var dGamma = SampleTensor.Vector(accParams ? SampleData.Uniform(layout.C, layout.C + 7) : SampleData.Filled(layout.C, float.NaN));
                    var dBeta = SampleTensor.Vector(accParams ? SampleData.Uniform(layout.C, layout.C + 8) : SampleData.Filled(layout.C, float.NaN));
                    yield return new OpSample<Args>($"{layout.Name} accInput={accInput} accParams={accParams}", [x, dy, gamma, mean, inv, dx, dGamma, dBeta],
                        t => new Args(t[0], t[1], t.Segments!, t[2], t[3], t[4], t[5], accInput, t[6], t[7], accParams)) { Segments = layout.Lengths };
                }
            }
        }
    }

    /// <summary>
    /// Running-mode 2-d batch norm: <c>y[n,c,h,w] = gamma[c] · (x[n,c,h,w] − runningMean[c]) / √(runningVariance[c] + epsilon) + beta[c]</c>
    /// (in double, rounded once). y may alias x.
    /// </summary>
    public sealed class BatchNorm2dInferenceOp() : ComputeOp<BatchNorm2dInferenceOp, BatchNorm2dInferenceOp.Args>("batch-norm-2d-inference")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input images, [N, C, H, W].</param>
        /// <param name="Gamma">Scale, C.</param>
        /// <param name="Beta">Shift, C.</param>
        /// <param name="RunningMean">Running mean, C.</param>
        /// <param name="RunningVariance">Running variance, C.</param>
        /// <param name="Epsilon">Variance epsilon.</param>
        /// <param name="Y">Output, [N, C, H, W]; may be x.</param>
        public readonly record struct Args(Tensor X, Tensor Gamma, Tensor Beta, Tensor RunningMean, Tensor RunningVariance, float Epsilon, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            var channels = ImageArgs.Images(check, a.X, "x").Channels;
            check.Floats((a.Gamma, "gamma"), (a.Beta, "beta"), (a.RunningMean, "runningMean"), (a.RunningVariance, "runningVariance"), (a.Y, "y"));
            check.Length(a.Gamma, channels, "gamma", "one per channel");
            check.Length(a.Beta, channels, "beta", "one per channel");
            check.Length(a.RunningMean, channels, "runningMean", "one per channel");
            check.Length(a.RunningVariance, channels, "runningVariance", "one per channel");
            ImageArgs.Shape(check, a.Y, a.X.Shape, "y", "the shape of x");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var image = ImageShape.Of(a.X.Shape);
            int c = image.Channels, pixels = image.Pixels;
            var X = host.Read(a.X);
            var G = host.Read(a.Gamma);
            var B = host.Read(a.Beta);
            var RM = host.Read(a.RunningMean);
            var RV = host.Read(a.RunningVariance);
            var Y = host.Write(a.Y);
            for (var k = 0; k < X.Length; k++)
            {
                var j = k / pixels % c;
                Y[k] = (float)((G[j] * (X[k] - (double)RM[j]) / Math.Sqrt(RV[j] + (double)a.Epsilon)) + B[j]);
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var layout in BatchNorm2dArgs.Layouts)
            {
                var (x, gamma, beta, rm, rv) = layout.Data();
                var y = SampleTensor.Of(x.Shape, SampleData.Filled(x.Shape.Length, float.NaN));
                yield return new OpSample<Args>(layout.Name, [x, gamma, beta, rm, rv, y], t => new Args(t[0], t[1], t[2], t[3], t[4], 1e-5f, t[5]));
                yield return new OpSample<Args>($"{layout.Name} in place", [x, gamma, beta, rm, rv], t => new Args(t[0], t[1], t[2], t[3], t[4], 1e-5f, t[0]));
            }
        }
    }

    /// <summary>Argument rules and samples shared by the 2-d batch-norm ops.</summary>
    internal static class BatchNorm2dArgs
    {
        /// <summary>Sample layouts: segment lengths in images, channels and image size (single pixels, odd sizes, the image protocol's 64 channels, a parallel-sized one).</summary>
        public static readonly BatchNorm2dLayout[] Layouts =
        [
            new("whole-2 C=1 1×1", [2], 1, 1, 1),
            new("whole-2 C=3 3×2", [2], 3, 3, 2),
            new("ragged C=5 4×3", [1, 3, 2, 5], 5, 4, 3),
            new("uniform-4x4 C=17 7×7", [4, 4, 4, 4], 17, 7, 7),
            new("two C=64 4×4", [3, 5], 64, 4, 4),
            new("one-image segments C=2 2×1", [1, 1, 1], 2, 2, 1),
            new("whole-8 C=8 14×14", [8], 8, 14, 14),
        ];

        /// <summary>x is an image batch whose images the segments cover, each segment with at least 2 values per channel; returns the image shape.</summary>
        public static ImageShape Check(OpValidator check, Tensor x, BatchSegments segments)
        {
            var image = ImageArgs.Images(check, x, "x");
            check.Segments(segments, x.Shape[0]);
            for (var s = 0; s < segments.Count; s++)
            {
                if ((long)segments.Length(s) * image.Pixels < 2)
                {
                    check.Fail($"segment {s} has {segments.Length(s)} image of {image.Height}×{image.Width} pixel, a single value per channel; " +
                        "batch norm needs at least 2 values per channel in every segment (a single value has no variance).", nameof(segments));
                }
            }

            return image;
        }
    }

    /// <summary>One sample layout of the 2-d batch-norm ops.</summary>
    internal sealed record BatchNorm2dLayout(string Name, int[] Lengths, int C, int H, int W)
    {
        /// <summary>Input (offset 3, spread 2), γ in [0.5, 1.5], β, running mean and running variance.</summary>
        public (SampleTensor X, SampleTensor Gamma, SampleTensor Beta, SampleTensor RunningMean, SampleTensor RunningVariance) Data()
        {
            var shape = new TensorShape(Lengths.Sum(), C, H, W);
            return (SampleTensor.Of(shape, SampleData.Uniform(shape.Length, C + H, 2f, 3f)), SampleTensor.Vector(SampleData.Uniform(C, C + 1, 0.5f, 1f)),
                SampleTensor.Vector(SampleData.Uniform(C, C + 2)), SampleTensor.Vector(SampleData.Uniform(C, C + 3)), SampleTensor.Vector(SampleData.Uniform(C, C + 4, 0.5f, 1f)));
        }

        /// <summary>The reference's forward statistics of the sample input, so every backend sees identical backward inputs.</summary>
        public (SampleTensor Mean, SampleTensor InverseStd) Statistics(SampleTensor x, SampleTensor gamma)
        {
            using var reference = new ReferenceBackend();
            var s = Lengths.Length;
            using var segments = BatchSegments.Create(reference, Lengths);
            using var xt = reference.Allocate(x.Shape);
            using var g = reference.Allocate(gamma.Shape);
            using var b = reference.Allocate(gamma.Shape);
            using var y = reference.Allocate(x.Shape);
            using var mean = reference.Allocate(TensorShape.Matrix(s, C));
            using var inv = reference.Allocate(TensorShape.Matrix(s, C));
            reference.Upload(x.Floats!, xt);
            reference.Upload(gamma.Floats!, g);
            reference.Fill(b, 0f);
            reference.BatchNorm2dForward(xt, segments, g, b, 1e-5f, Activation.None, y, mean, inv, null, null, 0.1f);
            return (SampleTensor.Of(mean.Shape, mean.ToArray()), SampleTensor.Of(inv.Shape, inv.ToArray()));
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary>Segmented batch-mode 2-d batch norm, then <paramref name="activation"/> in the same pass (see <see cref="BatchNorm2dForwardOp"/>).</summary>
            public void BatchNorm2dForward(Tensor x, BatchSegments segments, Tensor gamma, Tensor beta, float epsilon, Activation activation,
                Tensor y, Tensor mean, Tensor inverseStd, Tensor? runningMean, Tensor? runningVariance, float momentum) =>
                backend.Run(BatchNorm2dForwardOp.Instance, new BatchNorm2dForwardOp.Args(x, segments, gamma, beta, epsilon, activation, y, mean, inverseStd, runningMean, runningVariance, momentum));

            /// <summary>Backward of the segmented 2-d batch norm (see <see cref="BatchNorm2dBackwardOp"/>).</summary>
            public void BatchNorm2dBackward(Tensor x, Tensor dy, BatchSegments segments, Tensor gamma, Tensor mean, Tensor inverseStd,
                Tensor dx, bool accumulateInput, Tensor dGamma, Tensor dBeta, bool accumulateParameters) =>
                backend.Run(BatchNorm2dBackwardOp.Instance, new BatchNorm2dBackwardOp.Args(x, dy, segments, gamma, mean, inverseStd, dx, accumulateInput, dGamma, dBeta, accumulateParameters));

            /// <summary>2-d batch norm with running statistics (see <see cref="BatchNorm2dInferenceOp"/>).</summary>
            public void BatchNorm2dInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, float epsilon, Tensor y) =>
                backend.Run(BatchNorm2dInferenceOp.Instance, new BatchNorm2dInferenceOp.Args(x, gamma, beta, runningMean, runningVariance, epsilon, y));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>
        /// Batch-mode, segment-aware 2-d batch norm (see <see cref="BatchNorm2dForwardOp"/>): the images of each segment are
        /// normalised per channel with their own statistics over images and pixels, scaled, shifted and passed through
        /// <paramref name="activation"/> in the same pass; running statistics are updated when given.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input images, [N, C, H, W].</param>
        /// <param name="segments">Segments of images (TotalRows = N).</param>
        /// <param name="gamma">Scale, C.</param>
        /// <param name="beta">Shift, C.</param>
        /// <param name="epsilon">Variance epsilon.</param>
        /// <param name="runningMean">Running mean to update, or null.</param>
        /// <param name="runningVariance">Running variance to update, or null.</param>
        /// <param name="momentum">Running-statistics momentum.</param>
        /// <param name="activation">Activation fused into the output.</param>
        /// <exception cref="ArgumentException">Shapes do not match or a segment has a single value per channel.</exception>
        public static Variable BatchNorm2d(Tape tape, Variable x, BatchSegments segments, Variable gamma, Variable beta, float epsilon,
            Tensor? runningMean = null, Tensor? runningVariance = null, float momentum = 0.1f, Activation activation = Activation.None)
        {
            Guard.NotNull(tape, x, segments, gamma, beta);
            GradientRule rule = activation == Activation.Relu ? BatchNorm2dReluRule.Instance : BatchNorm2dRule.Instance;
            var stats = TensorShape.Matrix(segments.Count, gamma.Shape.Length);
            var mean = tape.NewVariable(stats, false);
            var inverseStd = tape.NewVariable(stats, false);
            var y = tape.NewVariable(x.Shape, AnyRequiresGrad(x, gamma, beta));
            tape.Backend.BatchNorm2dForward(x.Value, segments, gamma.Value, beta.Value, epsilon, activation, y.Value, mean.Value, inverseStd.Value,
                runningMean, runningVariance, momentum);
            return tape.Record(new TapeEntry(rule, y, x, gamma, beta, mean, inverseStd, segments));
        }

        /// <summary>
        /// Running-mode 2-d batch norm (see <see cref="BatchNorm2dInferenceOp"/>). For inference only: it records nothing, so it
        /// refuses inputs that require a gradient.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input images, [N, C, H, W].</param>
        /// <param name="gamma">Scale, C.</param>
        /// <param name="beta">Shift, C.</param>
        /// <param name="runningMean">Running mean, C.</param>
        /// <param name="runningVariance">Running variance, C.</param>
        /// <param name="epsilon">Variance epsilon.</param>
        /// <exception cref="InvalidOperationException">The input requires a gradient.</exception>
        public static Variable BatchNorm2dInference(Tape tape, Variable x, Variable gamma, Variable beta, Tensor runningMean, Tensor runningVariance, float epsilon)
        {
            Guard.NotNull(tape, x, gamma, beta);
            if (x.RequiresGrad)
            {
                throw new InvalidOperationException("Running-mode batch norm is for inference and has no backward rule; train in batch mode (ACR's setting).");
            }

            var y = tape.NewVariable(x.Shape, false);
            tape.Backend.BatchNorm2dInference(x.Value, gamma.Value, beta.Value, runningMean, runningVariance, epsilon, y.Value);
            return y;
        }

        private static GradientCheck BatchNorm2dCheck(string name, SeededRandom rng, int[] lengths, Activation activation) =>
            new(name, [GradientLeaf.Random(rng, new TensorShape(lengths.Sum(), 2, 3, 2), -2f, 2f), GradientLeaf.Random(rng, TensorShape.Vector(2), 0.5f, 1.5f), GradientLeaf.Random(rng, TensorShape.Vector(2))],
                (t, v, s) => BatchNorm2d(t, v[0], s!, v[1], v[2], 1e-5f, null, null, 0.1f, activation))
            { Step = 5e-3, Segments = lengths };

        /// <summary>Backward of 2-d batch norm + ReLU: the ReLU mask applied to dy (into scratch), then the batch-norm backward.</summary>
        private sealed class BatchNorm2dReluRule() : GradientRule<BatchNorm2dReluRule>("batch-norm-2d+relu")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var output = entry.Output;
                var masked = tape.NewVariable(output.Shape, false).Value;
                tape.Backend.ReluBackward(output.Value, output.Grad!, masked, accumulate: false);
                BatchNorm2dRule.Backward(tape, entry, masked);
            }

            /// <summary>Inputs drawn until every pre-activation is at least 0.05 from ReLU's kink.</summary>
            public override IEnumerable<GradientCheck> GradientChecks()
            {
                foreach (var lengths in new[] { new[] { 2 }, [1, 2] })
                {
                    for (ulong seed = 60; ; seed++)
                    {
                        var check = BatchNorm2dCheck($"segments {string.Join("+", lengths)}", new SeededRandom(seed), lengths, Activation.Relu);
                        if (AwayFromTheKink(check))
                        {
                            yield return check;
                            break;
                        }
                    }
                }
            }

            private static bool AwayFromTheKink(GradientCheck check)
            {
                using var reference = new ReferenceBackend();
                using var segments = BatchSegments.Create(reference, [.. check.Segments!]);
                using var probe = new Tape(reference, recording: false);
                var leaves = check.Leaves;
                var pre = BatchNorm2d(probe, probe.Input(leaves[0].Values, leaves[0].Shape), segments,
                    probe.Input(leaves[1].Values, leaves[1].Shape), probe.Input(leaves[2].Values, leaves[2].Shape), 1e-5f).Value.ToArray();
                return !pre.Any(v => Math.Abs(v) < 0.05f) && !pre.All(v => v > 0);
            }
        }

        private sealed class BatchNorm2dRule() : GradientRule<BatchNorm2dRule>("batch-norm-2d")
        {
            public override void Backward(Tape tape, in TapeEntry entry) => Backward(tape, entry, entry.Output.Grad!);

            /// <summary>The 2-d batch-norm backward with <paramref name="dy"/> as the gradient of its (pre-activation) output.</summary>
            public static void Backward(Tape tape, in TapeEntry entry, Tensor dy)
            {
                var x = entry.A;
                var gamma = entry.B!;
                var beta = entry.C!;
                var segments = (BatchSegments)entry.State!;
                var (dx, accX, dGamma, dBeta, accP) = BatchNormGradients.Targets(tape, x, gamma, beta);

                tape.Backend.BatchNorm2dBackward(x.Value, dy, segments, gamma.Value, entry.D!.Value, entry.E!.Value, dx, accX, dGamma, dBeta, accP);
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                foreach (var lengths in new[] { new[] { 3 }, [1, 2, 1], [2, 2] })
                {
                    yield return BatchNorm2dCheck($"segments {string.Join("+", lengths)}", new SeededRandom(5), lengths, Activation.None);
                }
            }
        }
    }
}
