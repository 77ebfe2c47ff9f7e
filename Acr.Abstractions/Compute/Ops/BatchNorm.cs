namespace Acr.Compute
{
    /// <summary>
    /// Batch-mode batch norm over the matrix view of x (N×C), with one set of statistics per segment, then an
    /// optional activation in the same pass. For segment s with rows R_s (n_s = |R_s| ≥ 2) and channel j:
    /// <c>μ = (1/n_s) Σ_{i∈R_s} x[i,j]</c>, <c>σ² = (1/n_s) Σ (x[i,j] − μ)²</c> (population variance),
    /// <c>inv = 1/√(σ² + epsilon)</c>, <c>y[i,j] = act(gamma[j] · (x[i,j] − μ) · inv + beta[j])</c>;
    /// <c>mean[s,j] = μ</c>, <c>inverseStd[s,j] = inv</c> (both S×C). With <see cref="Activation.Relu"/> the output is
    /// bit-identical to the unfused op followed by <see cref="ReluOp"/>.
    /// If running statistics are given, then for s = 0, 1, …, S−1 in order:
    /// <c>runningMean = (1 − momentum)·runningMean + momentum·μ_s</c> and
    /// <c>runningVariance = (1 − momentum)·runningVariance + momentum·σ²_s·n_s/(n_s − 1)</c>,
    /// exactly as S separate PyTorch forward passes in training mode would update them. y may not alias x.
    /// </summary>
    public sealed class BatchNormForwardOp() : ComputeOp<BatchNormForwardOp, BatchNormForwardOp.Args>("batch-norm-forward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input, N×C.</param>
        /// <param name="Segments">Row segments; they cover N rows and every one has ≥ 2 rows.</param>
        /// <param name="Gamma">Scale, C.</param>
        /// <param name="Beta">Shift, C.</param>
        /// <param name="Epsilon">Variance epsilon.</param>
        /// <param name="Activation">The activation applied to the normalised output.</param>
        /// <param name="Y">Output, N×C.</param>
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

            check.Floats(a.X, "x");
            int rows = a.X.Shape.Rows, channels = a.X.Shape.Columns;
            check.BatchNormSegments(a.Segments, rows);
            check.Floats((a.Gamma, "gamma"), (a.Beta, "beta"), (a.Y, "y"), (a.Mean, "mean"), (a.InverseStd, "inverseStd"));
            check.Length(a.Gamma, channels, "gamma", "one per channel");
            check.Length(a.Beta, channels, "beta", "one per channel");
            check.Matrix(a.Y, rows, channels, "y");
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
            var c = a.X.Shape.Columns;
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
                int start = segments.Start(s), n = segments.Length(s);
                for (var j = 0; j < c; j++)
                {
                    double mu = 0;
                    for (var i = start; i < start + n; i++)
                    {
                        mu += X[(i * c) + j];
                    }

                    mu /= n;
                    double variance = 0;
                    for (var i = start; i < start + n; i++)
                    {
                        var d = X[(i * c) + j] - mu;
                        variance += d * d;
                    }

                    variance /= n;
                    var inv = 1.0 / Math.Sqrt(variance + a.Epsilon);
                    M[(s * c) + j] = (float)mu;
                    I[(s * c) + j] = (float)inv;
                    for (var i = start; i < start + n; i++)
                    {
                        var y = (float)((G[j] * (X[(i * c) + j] - mu) * inv) + B[j]);
                        Y[(i * c) + j] = a.Activation == Activation.Relu ? (y > 0 ? y : 0) : y;
                    }

                    if (a.RunningMean is not null)
                    {
                        RM[j] = (float)(((1 - a.Momentum) * (double)RM[j]) + (a.Momentum * mu));
                        RV[j] = (float)(((1 - a.Momentum) * (double)RV[j]) + (a.Momentum * variance * n / (n - 1)));
                    }
                }
            }
        }

        /// <summary>Every segment layout × channel count: with and without running statistics, and fused with ReLU; outputs start as NaN.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (layout, lengths) in BatchNormSamples.Layouts)
            {
                var n = lengths.Sum();
                var s = lengths.Length;
                foreach (var c in BatchNormSamples.Channels)
                {
                    var (x, gamma, beta, rm, rv) = BatchNormSamples.Data(n, c);
                    var y = SampleTensor.Of(TensorShape.Matrix(n, c), SampleData.Filled(n * c, float.NaN));
                    var stats = SampleTensor.Of(TensorShape.Matrix(s, c), SampleData.Filled(s * c, float.NaN));
                    yield return new OpSample<Args>($"{layout} C={c}", [x, gamma, beta, y, stats, stats, rm, rv],
                        t => new Args(t[0], t.Segments!, t[1], t[2], 1e-5f, Activation.None, t[3], t[4], t[5], t[6], t[7], 0.1f)) { Segments = lengths };
                    yield return new OpSample<Args>($"{layout} C={c} without running statistics", [x, gamma, beta, y, stats, stats],
                        t => new Args(t[0], t.Segments!, t[1], t[2], 1e-3f, Activation.None, t[3], t[4], t[5], null, null, 0.1f)) { Segments = lengths };
                    yield return new OpSample<Args>($"{layout} C={c} with ReLU", [x, gamma, beta, y, stats, stats, rm, rv],
                        t => new Args(t[0], t.Segments!, t[1], t[2], 1e-5f, Activation.Relu, t[3], t[4], t[5], t[6], t[7], 0.1f)) { Segments = lengths };
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="BatchNormForwardOp"/> (before its activation). With <c>x̂ = (x − μ_s)·inv_s</c> and, per
    /// segment and channel, <c>m1 = mean_{R_s}(dy)</c>, <c>m2 = mean_{R_s}(dy · x̂)</c>:
    /// <c>dx = gamma · inv_s · (dy − m1 − x̂ · m2)</c>; <c>dGamma[j] (+)= Σ_i dy·x̂</c>; <c>dBeta[j] (+)= Σ_i dy</c> over all rows.
    /// </summary>
    public sealed class BatchNormBackwardOp() : ComputeOp<BatchNormBackwardOp, BatchNormBackwardOp.Args>("batch-norm-backward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Forward input, N×C.</param>
        /// <param name="Dy">Gradient with respect to the (pre-activation) output, N×C.</param>
        /// <param name="Segments">The forward pass's segments.</param>
        /// <param name="Gamma">Scale, C.</param>
        /// <param name="Mean">The forward pass's per-segment means, S×C.</param>
        /// <param name="InverseStd">The forward pass's per-segment inverse standard deviations, S×C.</param>
        /// <param name="Dx">Gradient with respect to x, N×C.</param>
        /// <param name="AccumulateInput">Add to dx instead of overwriting it.</param>
        /// <param name="DGamma">Gradient with respect to gamma, C.</param>
        /// <param name="DBeta">Gradient with respect to beta, C.</param>
        /// <param name="AccumulateParameters">Add to dGamma and dBeta instead of overwriting them.</param>
        public readonly record struct Args(Tensor X, Tensor Dy, BatchSegments Segments, Tensor Gamma, Tensor Mean, Tensor InverseStd,
            Tensor Dx, bool AccumulateInput, Tensor DGamma, Tensor DBeta, bool AccumulateParameters);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats(a.X, "x");
            int rows = a.X.Shape.Rows, channels = a.X.Shape.Columns;
            check.BatchNormSegments(a.Segments, rows);
            check.Floats((a.Dy, "dy"), (a.Gamma, "gamma"), (a.Mean, "mean"), (a.InverseStd, "inverseStd"), (a.Dx, "dx"), (a.DGamma, "dGamma"), (a.DBeta, "dBeta"));
            check.Matrix(a.Dy, rows, channels, "dy");
            check.Matrix(a.Dx, rows, channels, "dx");
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
            var c = a.X.Shape.Columns;
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
                int start = segments.Start(s), n = segments.Length(s);
                for (var j = 0; j < c; j++)
                {
                    double mu = M[(s * c) + j], inv = I[(s * c) + j], m1 = 0, m2 = 0;
                    for (var i = start; i < start + n; i++)
                    {
                        var xh = (X[(i * c) + j] - mu) * inv;
                        m1 += DY[(i * c) + j];
                        m2 += DY[(i * c) + j] * xh;
                    }

                    dg[j] += m2;
                    db[j] += m1;
                    m1 /= n;
                    m2 /= n;
                    for (var i = start; i < start + n; i++)
                    {
                        var xh = (X[(i * c) + j] - mu) * inv;
                        var g = G[j] * inv * (DY[(i * c) + j] - m1 - (xh * m2));
                        DX[(i * c) + j] = (float)((a.AccumulateInput ? DX[(i * c) + j] : 0) + g);
                    }
                }
            }

            for (var j = 0; j < c; j++)
            {
                DG[j] = (float)((a.AccumulateParameters ? DG[j] : 0) + dg[j]);
                DB[j] = (float)((a.AccumulateParameters ? DB[j] : 0) + db[j]);
            }
        }

        /// <summary>Every layout × channel count × overwrite/accumulate of dx and of the parameter gradients; the forward statistics come from the reference.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (layout, lengths) in BatchNormSamples.Layouts)
            {
                var n = lengths.Sum();
                var s = lengths.Length;
                foreach (var c in BatchNormSamples.Channels)
                {
                    var (x, gamma, _, _, _) = BatchNormSamples.Data(n, c);
                    var (mean, inv) = BatchNormSamples.Statistics(x, gamma, lengths);
                    var dy = SampleTensor.Of(TensorShape.Matrix(n, c), SampleData.Uniform(n * c, c + 5));
                    foreach (var (accInput, accParams) in new[] { (false, false), (true, true), (true, false), (false, true) })
                    {
                        var dx = SampleTensor.Of(TensorShape.Matrix(n, c), accInput ? SampleData.Uniform(n * c, c + 6) : SampleData.Filled(n * c, float.NaN));
                        var dGamma = SampleTensor.Vector(accParams ? SampleData.Uniform(c, c + 7) : SampleData.Filled(c, float.NaN));
                        var dBeta = SampleTensor.Vector(accParams ? SampleData.Uniform(c, c + 8) : SampleData.Filled(c, float.NaN));
                        yield return new OpSample<Args>($"{layout} C={c} accInput={accInput} accParams={accParams}", [x, dy, gamma, mean, inv, dx, dGamma, dBeta],
                            t => new Args(t[0], t[1], t.Segments!, t[2], t[3], t[4], t[5], accInput, t[6], t[7], accParams)) { Segments = lengths };
                    }
                }
            }
        }
    }

    /// <summary>
    /// Inference-mode batch norm with running statistics:
    /// <c>y[i,j] = gamma[j] · (x[i,j] − runningMean[j]) / √(runningVariance[j] + epsilon) + beta[j]</c>. y may alias x.
    /// </summary>
    public sealed class BatchNormInferenceOp() : ComputeOp<BatchNormInferenceOp, BatchNormInferenceOp.Args>("batch-norm-inference")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input, N×C.</param>
        /// <param name="Gamma">Scale, C.</param>
        /// <param name="Beta">Shift, C.</param>
        /// <param name="RunningMean">Running mean, C.</param>
        /// <param name="RunningVariance">Running variance, C.</param>
        /// <param name="Epsilon">Variance epsilon.</param>
        /// <param name="Y">Output, N×C (may be X).</param>
        public readonly record struct Args(Tensor X, Tensor Gamma, Tensor Beta, Tensor RunningMean, Tensor RunningVariance, float Epsilon, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.X, "x"), (a.Gamma, "gamma"), (a.Beta, "beta"), (a.RunningMean, "runningMean"), (a.RunningVariance, "runningVariance"), (a.Y, "y"));
            int rows = a.X.Shape.Rows, channels = a.X.Shape.Columns;
            check.Length(a.Gamma, channels, "gamma", "one per channel");
            check.Length(a.Beta, channels, "beta", "one per channel");
            check.Length(a.RunningMean, channels, "runningMean", "one per channel");
            check.Length(a.RunningVariance, channels, "runningVariance", "one per channel");
            check.Matrix(a.Y, rows, channels, "y");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var c = a.X.Shape.Columns;
            var X = host.Read(a.X);
            var G = host.Read(a.Gamma);
            var B = host.Read(a.Beta);
            var RM = host.Read(a.RunningMean);
            var RV = host.Read(a.RunningVariance);
            var Y = host.Write(a.Y);
            for (var i = 0; i < a.X.Shape.Rows; i++)
            {
                for (var j = 0; j < c; j++)
                {
                    Y[(i * c) + j] = (float)((G[j] * (X[(i * c) + j] - (double)RM[j]) / Math.Sqrt(RV[j] + (double)a.Epsilon)) + B[j]);
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (rows, columns) in SampleData.RowShapes)
            {
                SampleTensor[] tensors =
                [
                    SampleTensor.Of(TensorShape.Matrix(rows, columns), SampleData.Uniform(rows * columns, rows, 2f, 1f)),
                    SampleTensor.Vector(SampleData.Uniform(columns, 1, 0.5f, 1f)),
                    SampleTensor.Vector(SampleData.Uniform(columns, 2)),
                    SampleTensor.Vector(SampleData.Uniform(columns, 3, 1f, 1f)),
                    SampleTensor.Vector(SampleData.Uniform(columns, 4, 0.5f, 2f)),
                    SampleTensor.Of(TensorShape.Matrix(rows, columns), SampleData.Filled(rows * columns, float.NaN)),
                ];
                yield return new OpSample<Args>($"{rows}×{columns}", tensors, t => new Args(t[0], t[1], t[2], t[3], t[4], 1e-5f, t[5]));
                yield return new OpSample<Args>($"{rows}×{columns} in place", tensors[..5], t => new Args(t[0], t[1], t[2], t[3], t[4], 1e-5f, t[0]));
            }
        }
    }

    /// <summary>Sample data shared by the batch-norm ops.</summary>
    internal static class BatchNormSamples
    {
        public static readonly (string Name, int[] Lengths)[] Layouts =
        [
            ("whole-2", [2]), ("whole-300", [300]), ("uniform-4x2", [2, 2, 2, 2]), ("uniform-3x64", [64, 64, 64]),
            ("ragged", [2, 3, 7, 130, 2, 33]), ("uniform-8x128", [128, 128, 128, 128, 128, 128, 128, 128]),
        ];

        public static readonly int[] Channels = [1, 3, 16, 17, 64, 65, 130];

        /// <summary>Input (offset 3, spread 2), γ in [0.5, 1.5], β, running mean and running variance for an n×c batch norm.</summary>
        public static (SampleTensor X, SampleTensor Gamma, SampleTensor Beta, SampleTensor RunningMean, SampleTensor RunningVariance) Data(int n, int c) =>
            (SampleTensor.Of(TensorShape.Matrix(n, c), SampleData.Uniform(n * c, c, 2f, 3f)), SampleTensor.Vector(SampleData.Uniform(c, c + 1, 0.5f, 1f)),
             SampleTensor.Vector(SampleData.Uniform(c, c + 2)), SampleTensor.Vector(SampleData.Uniform(c, c + 3)), SampleTensor.Vector(SampleData.Uniform(c, c + 4, 0.5f, 1f)));

        /// <summary>The reference's forward statistics (mean, inverse std) of a sample input, so both backends see identical backward inputs.</summary>
        public static (SampleTensor Mean, SampleTensor InverseStd) Statistics(SampleTensor x, SampleTensor gamma, int[] lengths)
        {
            using var reference = new ReferenceBackend();
            int c = x.Shape.Columns, s = lengths.Length;
            using var segments = BatchSegments.Create(reference, lengths);
            using var xt = reference.Allocate(x.Shape);
            using var g = reference.Allocate(gamma.Shape);
            using var b = reference.Allocate(gamma.Shape);
            using var y = reference.Allocate(x.Shape);
            using var mean = reference.Allocate(TensorShape.Matrix(s, c));
            using var inv = reference.Allocate(TensorShape.Matrix(s, c));
            reference.Upload(x.Floats!, xt);
            reference.Upload(gamma.Floats!, g);
            reference.Fill(b, 0f);
            reference.BatchNormForward(xt, segments, g, b, 1e-5f, Activation.None, y, mean, inv, null, null, 0.1f);
            return (SampleTensor.Of(mean.Shape, mean.ToArray()), SampleTensor.Of(inv.Shape, inv.ToArray()));
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary>Segmented batch-mode batch norm, then <paramref name="activation"/> in the same pass (see <see cref="BatchNormForwardOp"/>).</summary>
            public void BatchNormForward(Tensor x, BatchSegments segments, Tensor gamma, Tensor beta, float epsilon, Activation activation,
                Tensor y, Tensor mean, Tensor inverseStd, Tensor? runningMean, Tensor? runningVariance, float momentum) =>
                backend.Run(BatchNormForwardOp.Instance, new BatchNormForwardOp.Args(x, segments, gamma, beta, epsilon, activation, y, mean, inverseStd, runningMean, runningVariance, momentum));

            /// <summary>Backward of the segmented batch norm (see <see cref="BatchNormBackwardOp"/>).</summary>
            public void BatchNormBackward(Tensor x, Tensor dy, BatchSegments segments, Tensor gamma, Tensor mean, Tensor inverseStd,
                Tensor dx, bool accumulateInput, Tensor dGamma, Tensor dBeta, bool accumulateParameters) =>
                backend.Run(BatchNormBackwardOp.Instance, new BatchNormBackwardOp.Args(x, dy, segments, gamma, mean, inverseStd, dx, accumulateInput, dGamma, dBeta, accumulateParameters));

            /// <summary>Batch norm with running statistics (see <see cref="BatchNormInferenceOp"/>).</summary>
            public void BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, float epsilon, Tensor y) => backend.Run(BatchNormInferenceOp.Instance, new BatchNormInferenceOp.Args(x, gamma, beta, runningMean, runningVariance, epsilon, y));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>
        /// Batch-mode, segment-aware batch norm (see <see cref="BatchNormForwardOp"/>): each segment of rows is
        /// normalised with its own mean and population variance, scaled by <paramref name="gamma"/>, shifted by
        /// <paramref name="beta"/> and passed through <paramref name="activation"/> in the same pass. Running statistics
        /// are updated when given. With <see cref="Activation.Relu"/> the result equals <c>Relu(BatchNorm(x))</c> bit for bit,
        /// forward and backward, without the intermediate tensor.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input, N×C.</param>
        /// <param name="segments">Row segments (TotalRows = N, every segment ≥ 2 rows).</param>
        /// <param name="gamma">Scale, C.</param>
        /// <param name="beta">Shift, C.</param>
        /// <param name="epsilon">Variance epsilon.</param>
        /// <param name="runningMean">Running mean to update, or null.</param>
        /// <param name="runningVariance">Running variance to update, or null.</param>
        /// <param name="momentum">Running-statistics momentum.</param>
        /// <param name="activation">Activation fused into the output.</param>
        /// <exception cref="ArgumentException">Shapes do not match, a segment has fewer than 2 rows, or the activation is unknown.</exception>
        public static Variable BatchNorm(Tape tape, Variable x, BatchSegments segments, Variable gamma, Variable beta, float epsilon,
            Tensor? runningMean = null, Tensor? runningVariance = null, float momentum = 0.1f, Activation activation = Activation.None)
        {
            Guard.NotNull(tape, x, segments, gamma, beta);
            GradientRule rule = activation == Activation.Relu ? BatchNormReluRule.Instance : BatchNormRule.Instance;
            var stats = TensorShape.Matrix(segments.Count, x.Shape.Columns);
            var mean = tape.NewVariable(stats, false);
            var inverseStd = tape.NewVariable(stats, false);
            var y = tape.NewVariable(x.Shape, AnyRequiresGrad(x, gamma, beta));
            tape.Backend.BatchNormForward(x.Value, segments, gamma.Value, beta.Value, epsilon, activation, y.Value, mean.Value, inverseStd.Value,
                runningMean, runningVariance, momentum);
            tape.Record(new TapeEntry(rule, y, x, gamma, beta, mean, inverseStd, segments));
            return y;
        }

        /// <summary>
        /// Running-mode batch norm (see <see cref="BatchNormInferenceOp"/>): normalises with the running statistics.
        /// For inference only: it records nothing, so it refuses inputs that require a gradient.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input, N×C.</param>
        /// <param name="gamma">Scale, C.</param>
        /// <param name="beta">Shift, C.</param>
        /// <param name="runningMean">Running mean, C.</param>
        /// <param name="runningVariance">Running variance, C.</param>
        /// <param name="epsilon">Variance epsilon.</param>
        /// <exception cref="InvalidOperationException">The input requires a gradient.</exception>
        public static Variable BatchNormInference(Tape tape, Variable x, Variable gamma, Variable beta, Tensor runningMean, Tensor runningVariance, float epsilon)
        {
            Guard.NotNull(tape, x, gamma, beta);
            if (x.RequiresGrad)
            {
                throw new InvalidOperationException("Running-mode batch norm is for inference and has no backward rule; train in batch mode (ACR's setting).");
            }

            var y = tape.NewVariable(x.Shape, false);
            tape.Backend.BatchNormInference(x.Value, gamma.Value, beta.Value, runningMean, runningVariance, epsilon, y.Value);
            return y;
        }

        private static GradientCheck BatchNormCheck(string name, SeededRandom rng, int[] lengths, Activation activation) =>
            new(name, [GradientLeaf.Random(rng, TensorShape.Matrix(lengths.Sum(), 3), -2f, 2f), GradientLeaf.Random(rng, TensorShape.Vector(3), 0.5f, 1.5f), GradientLeaf.Random(rng, TensorShape.Vector(3))],
                (t, v, s) => BatchNorm(t, v[0], s!, v[1], v[2], 1e-5f, null, null, 0.1f, activation))
            { Step = 5e-3, Segments = lengths };

        /// <summary>Backward of batch norm + ReLU: the ReLU mask applied to dy (into scratch), then the batch-norm backward.</summary>
        private sealed class BatchNormReluRule() : GradientRule<BatchNormReluRule>("batch-norm+relu")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var output = entry.Output;
                var masked = tape.NewVariable(output.Shape, false).Value;
                tape.Backend.ReluBackward(output.Value, output.Grad!, masked, accumulate: false);
                BatchNormRule.Backward(tape, entry, masked);
            }

            /// <summary>Inputs drawn until every pre-activation is at least 0.05 from ReLU's kink (a step of h = 5e-3 moves a batch-norm output by well under that).</summary>
            public override IEnumerable<GradientCheck> GradientChecks()
            {
                foreach (var lengths in new[] { new[] { 8 }, [3, 5, 2] })
                {
                    for (ulong seed = 40; ; seed++)
                    {
                        var check = BatchNormCheck($"segments {string.Join("+", lengths)}", new SeededRandom(seed), lengths, Activation.Relu);
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
                var pre = BatchNorm(probe, probe.Input(leaves[0].Values, leaves[0].Shape), segments,
                    probe.Input(leaves[1].Values, leaves[1].Shape), probe.Input(leaves[2].Values, leaves[2].Shape), 1e-5f).Value.ToArray();
                return !pre.Any(v => Math.Abs(v) < 0.05f) && !pre.All(v => v > 0);
            }
        }

        private sealed class BatchNormRule() : GradientRule<BatchNormRule>("batch-norm")
        {
            public override void Backward(Tape tape, in TapeEntry entry) => Backward(tape, entry, entry.Output.Grad!);

            /// <summary>The batch-norm backward with <paramref name="dy"/> as the gradient of its (pre-activation) output.</summary>
            public static void Backward(Tape tape, in TapeEntry entry, Tensor dy)
            {
                var x = entry.A;
                var gamma = entry.B!;
                var beta = entry.C!;
                var segments = (BatchSegments)entry.State!;

                var (dx, accX, dGamma, dBeta, accP) = BatchNormGradients.Targets(tape, x, gamma, beta);

                tape.Backend.BatchNormBackward(x.Value, dy, segments, gamma.Value, entry.D!.Value, entry.E!.Value, dx, accX, dGamma, dBeta, accP);
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                foreach (var lengths in new[] { new[] { 8 }, [3, 5, 2], [4, 4, 4] })
                {
                    yield return BatchNormCheck($"segments {string.Join("+", lengths)}", new SeededRandom(4), lengths, Activation.None);
                }
            }
        }
    }
}

namespace Acr.Autograd
{
    /// <summary>Where a batch-norm backward (1-d or 2-d) writes dx, dγ and dβ.</summary>
    internal static class BatchNormGradients
    {
        /// <summary>
        /// The gradient buffers of <paramref name="x"/>, <paramref name="gamma"/> and <paramref name="beta"/> and whether each
        /// accumulates. The fused kernels always produce dx, dγ and dβ, so unwanted ones go to scratch and the kernel stays
        /// one pass over memory.
        /// </summary>
        public static (Tensor Dx, bool AccX, Tensor DGamma, Tensor DBeta, bool AccP) Targets(Tape tape, Variable x, Variable gamma, Variable beta)
        {
            Tensor dx;
            bool accX;
            if (x.RequiresGrad)
            {
                dx = tape.GradientFor(x, out accX);
            }
            else
            {
                dx = tape.NewVariable(x.Shape, false).Value;
                accX = false;
            }

            if (gamma.RequiresGrad != beta.RequiresGrad)
            {
                throw new InvalidOperationException("Batch norm's gamma and beta must both be trainable or both frozen.");
            }

            if (!gamma.RequiresGrad)
            {
                return (dx, accX, tape.NewVariable(gamma.Shape, false).Value, tape.NewVariable(beta.Shape, false).Value, false);
            }

            var dGamma = tape.GradientFor(gamma, out var accP);
            var dBeta = tape.GradientFor(beta, out var accB);
            if (accB != accP)
            {
                throw new InvalidOperationException("Batch norm's gamma and beta gradients are out of step; clear both before a backward pass.");
            }

            return (dx, accX, dGamma, dBeta, accP);
        }
    }
}
