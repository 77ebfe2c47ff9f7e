namespace Acr.Compute
{
    /// <summary>
    /// The fully connected layer in one pass: <c>y[i, j] = Σ_k x[i, k] · weight[j, k] + bias[j]</c> (no bias
    /// term when bias is null). x is N×K, weight J×K (one row per output, PyTorch layout), y N×J. The result is
    /// bit-identical to <see cref="GemmOp"/> with transposeB, alpha = 1, beta = 0, followed by
    /// <see cref="AddRowVectorOp"/> (the product is rounded to float before the bias is added); a backend may
    /// fuse the two. y must not alias x, weight or bias.
    /// </summary>
    public sealed class LinearOp() : ComputeOp<LinearOp, LinearOp.Args>("linear")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input matrix, N×K.</param>
        /// <param name="Weight">Weights, J×K.</param>
        /// <param name="Bias">Bias, J elements, or null.</param>
        /// <param name="Y">Output matrix, N×J.</param>
        public readonly record struct Args(Tensor X, Tensor Weight, Tensor? Bias, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.X, "x"), (a.Weight, "weight"), (a.Y, "y"));
            int m = a.X.Shape.Rows, k = a.X.Shape.Columns, n = a.Weight.Shape.Rows;
            if (a.Weight.Shape.Columns != k)
            {
                check.Fail($"the input has {k} features per row (x has shape {a.X.Shape}) but the weight expects {a.Weight.Shape.Columns} (weight has shape {a.Weight.Shape}).", "weight");
            }

            check.Matrix(a.Y, m, n, "y");
            check.Distinct(a.Y, a.X, "y", "x");
            check.Distinct(a.Y, a.Weight, "y", "weight");
            if (a.Bias is { } bias)
            {
                check.Floats(bias, "bias");
                check.Length(bias, n, "bias", "one per output feature");
                check.Distinct(a.Y, bias, "y", "bias");
            }
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int n = a.X.Shape.Rows, k = a.X.Shape.Columns, outputs = a.Weight.Shape.Rows;
            var X = host.Read(a.X);
            var W = host.Read(a.Weight);
            var B = a.Bias is null ? default : host.Read(a.Bias);
            var Y = host.Write(a.Y);
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < outputs; j++)
                {
                    double s = 0;
                    for (var p = 0; p < k; p++)
                    {
                        s += (double)X[(i * k) + p] * W[(j * k) + p];
                    }

                    // The product is rounded to float before the bias is added, as the contract states.
                    Y[(i * outputs) + j] = a.Bias is null ? (float)s : (float)s + B[j];
                }
            }
        }

        /// <summary>The GEMM shapes with and without bias; y starts as NaN (never read). Relative tolerance (K + 5)·2⁻²³·4.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            for (var s = 0; s < GemmOp.Shapes.Length; s++)
            {
                var (rows, outputs, inputs) = GemmOp.Shapes[s];
                var x = SampleTensor.Of(TensorShape.Matrix(rows, inputs), SampleData.Uniform(rows * inputs, s));
                var w = SampleTensor.Of(TensorShape.Matrix(outputs, inputs), SampleData.Uniform(outputs * inputs, s + 1));
                var bias = SampleTensor.Vector(SampleData.Uniform(outputs, s + 2));
                var y = SampleTensor.Of(TensorShape.Matrix(rows, outputs), SampleData.Filled(rows * outputs, float.NaN));
                var tolerance = (inputs + 5) * Math.Pow(2, -23) * 4;
                yield return new OpSample<Args>($"{rows}×{inputs}→{outputs}", [x, w, bias, y], t => new Args(t[0], t[1], t[2], t[3])) { Tolerance = tolerance };
                yield return new OpSample<Args>($"{rows}×{inputs}→{outputs} without bias", [x, w, y], t => new Args(t[0], t[1], null, t[2])) { Tolerance = tolerance };
            }
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary><c>y = x · weightᵀ + bias</c> in one pass (see <see cref="LinearOp"/>).</summary>
            public void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y) => backend.Run(LinearOp.Instance, new LinearOp.Args(x, weight, bias, y));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>
        /// Affine map <c>y = x · Wᵀ + b</c>: x is N×in, <paramref name="weight"/> out×in (PyTorch layout),
        /// <paramref name="bias"/> out (or null), y N×out. Backward: <c>dx = dy·W</c>, <c>dW = dyᵀ·x</c>, <c>db = Σ_rows dy</c>.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input rows.</param>
        /// <param name="weight">Weight matrix.</param>
        /// <param name="bias">Bias vector, or null for none.</param>
        /// <exception cref="ArgumentException">Shapes do not match.</exception>
        public static Variable Linear(Tape tape, Variable x, Variable weight, Variable? bias)
        {
            Guard.NotNull(tape, x, weight);
            var y = tape.NewVariable(TensorShape.Matrix(x.Shape.Rows, weight.Shape.Rows), AnyRequiresGrad(x, weight, bias));
            tape.Backend.Linear(x.Value, weight.Value, bias?.Value, y.Value);
            return tape.Record(new TapeEntry(LinearRule.Instance, y, x, weight, bias));
        }

        private sealed class LinearRule() : GradientRule<LinearRule>("linear")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var backend = tape.Backend;
                var dy = entry.Output.Grad!;
                var x = entry.A;
                var w = entry.B!;
                if (x.RequiresGrad)
                {
                    var dx = tape.GradientFor(x, out var acc);
                    backend.Gemm(false, false, 1f, dy, w.Value, acc ? 1f : 0f, dx);
                }

                if (w.RequiresGrad)
                {
                    var dw = tape.GradientFor(w, out var acc);
                    backend.Gemm(true, false, 1f, dy, x.Value, acc ? 1f : 0f, dw);
                }

                if (entry.C is { RequiresGrad: true } b)
                {
                    var db = tape.GradientFor(b, out var acc);
                    backend.ColumnSum(dy, db, acc);
                }
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                var rng = new SeededRandom(1);
                yield return new GradientCheck("with bias",
                    [GradientLeaf.Random(rng, TensorShape.Matrix(5, 4)), GradientLeaf.Random(rng, TensorShape.Matrix(3, 4)), GradientLeaf.Random(rng, TensorShape.Vector(3))],
                    (t, v, _) => Linear(t, v[0], v[1], v[2]));
                rng = new SeededRandom(2);
                yield return new GradientCheck("without bias",
                    [GradientLeaf.Random(rng, TensorShape.Matrix(3, 6)), GradientLeaf.Random(rng, TensorShape.Matrix(2, 6))],
                    (t, v, _) => Linear(t, v[0], v[1], null));
            }
        }
    }
}
