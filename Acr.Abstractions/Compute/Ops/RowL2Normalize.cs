namespace Acr.Compute
{
    /// <summary>
    /// Row L2 normalisation (PyTorch's <c>F.normalize</c>): <c>norm[i] = ‖x[i, :]‖₂</c> (accumulated in double) and
    /// <c>y[i, :] = x[i, :] / max(norm[i], epsilon)</c>; x and y are N×D, norm has N elements. Of normalised rows, dot
    /// products are cosine similarities (NTL's embeddings). y may be x; norm must not alias either.
    /// </summary>
    public sealed class RowL2NormalizeOp() : ComputeOp<RowL2NormalizeOp, RowL2NormalizeOp.Args>("row-l2-normalize")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Rows, N×D.</param>
        /// <param name="Epsilon">Lower bound of the divisor (a zero row stays zero).</param>
        /// <param name="Y">Normalised rows, N×D (may be X).</param>
        /// <param name="Norm">Each row's L2 norm, N.</param>
        public readonly record struct Args(Tensor X, float Epsilon, Tensor Y, Tensor Norm);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.X, "x"), (a.Y, "y"), (a.Norm, "norm"));
            check.Matrix(a.Y, a.X.Shape.Rows, a.X.Shape.Columns, "y");
            check.Length(a.Norm, a.X.Shape.Rows, "norm", "one per row of x");
            check.Distinct(a.Norm, a.X, "norm", "x");
            check.Distinct(a.Norm, a.Y, "norm", "y");
            if (!(a.Epsilon > 0) || !float.IsFinite(a.Epsilon))
            {
                check.OutOfRange($"epsilon must be finite and positive; got {a.Epsilon}.", "epsilon");
            }
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int n = a.X.Shape.Rows, d = a.X.Shape.Columns;
            var X = host.Read(a.X);
            var Y = host.Write(a.Y);
            var N = host.Write(a.Norm);
            for (var i = 0; i < n; i++)
            {
                double s = 0;
                for (var j = 0; j < d; j++)
                {
                    s += (double)X[(i * d) + j] * X[(i * d) + j];
                }

                var norm = Math.Sqrt(s);
                var divisor = Math.Max(norm, a.Epsilon);
                N[i] = (float)norm;
                for (var j = 0; j < d; j++)
                {
                    Y[(i * d) + j] = (float)(X[(i * d) + j] / divisor);
                }
            }
        }

        /// <summary>Row shapes with zero rows and rows below epsilon (both branches), out of place and in place.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (rows, columns) in SampleData.RowShapes)
            {
                var x = SampleData.Uniform(rows * columns, rows * 3, 2f);
                for (var i = 1; i < rows; i += 4)
                {
                    x.AsSpan(i * columns, columns).Clear();
                }

                for (var i = 2; i < rows; i += 4)
                {
                    for (var j = 0; j < columns; j++)
                    {
                        x[(i * columns) + j] *= 1e-4f;
                    }
                }

                var input = SampleTensor.Of(TensorShape.Matrix(rows, columns), x);
                var y = SampleTensor.Of(TensorShape.Matrix(rows, columns), SampleData.Filled(rows * columns, float.NaN));
                var norm = SampleTensor.Vector(SampleData.Filled(rows, float.NaN));
                foreach (var epsilon in new[] { 1e-12f, 1e-3f })
                {
                    yield return new OpSample<Args>($"{rows}×{columns} ε={epsilon}", [input, y, norm], t => new Args(t[0], epsilon, t[1], t[2]));
                    yield return new OpSample<Args>($"{rows}×{columns} ε={epsilon} in place", [input, norm], t => new Args(t[0], epsilon, t[0], t[1]));
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="RowL2NormalizeOp"/>: with <c>r = norm[i]</c>, <c>dx[i, :] (+)= (dy[i, :] − y[i, :]·(y[i, :] · dy[i, :])) / r</c>
    /// when r &gt; epsilon, and <c>dy[i, :] / epsilon</c> otherwise (there y = x/ε is linear in x).
    /// </summary>
    public sealed class RowL2NormalizeBackwardOp() : ComputeOp<RowL2NormalizeBackwardOp, RowL2NormalizeBackwardOp.Args>("row-l2-normalize-backward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="Y">The forward output, N×D.</param>
        /// <param name="Norm">The forward norms, N.</param>
        /// <param name="Dy">Gradient with respect to y, N×D.</param>
        /// <param name="Epsilon">The forward epsilon.</param>
        /// <param name="Dx">Gradient with respect to x, N×D.</param>
        /// <param name="Accumulate">Add to dx instead of overwriting it.</param>
        public readonly record struct Args(Tensor Y, Tensor Norm, Tensor Dy, float Epsilon, Tensor Dx, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.Y, "y"), (a.Norm, "norm"), (a.Dy, "dy"), (a.Dx, "dx"));
            int rows = a.Y.Shape.Rows, columns = a.Y.Shape.Columns;
            check.Length(a.Norm, rows, "norm", "one per row of y");
            check.Matrix(a.Dy, rows, columns, "dy");
            check.Matrix(a.Dx, rows, columns, "dx");
            check.Distinct(a.Dx, a.Y, "dx", "y");
            check.Distinct(a.Dx, a.Dy, "dx", "dy");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int n = a.Y.Shape.Rows, d = a.Y.Shape.Columns;
            var Y = host.Read(a.Y);
            var N = host.Read(a.Norm);
            var DY = host.Read(a.Dy);
            var DX = host.Write(a.Dx);
            for (var i = 0; i < n; i++)
            {
                double dot = 0;
                for (var j = 0; j < d; j++)
                {
                    dot += (double)Y[(i * d) + j] * DY[(i * d) + j];
                }

                var clamped = !(N[i] > a.Epsilon);
                for (var j = 0; j < d; j++)
                {
                    var g = clamped ? DY[(i * d) + j] / (double)a.Epsilon : (DY[(i * d) + j] - (Y[(i * d) + j] * dot)) / N[i];
                    DX[(i * d) + j] = (float)((a.Accumulate ? DX[(i * d) + j] : 0) + g);
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            using var reference = new ReferenceBackend();
            foreach (var (rows, columns) in SampleData.RowShapes)
            {
                var x = SampleData.Uniform(rows * columns, rows * 5, 2f);
                for (var i = 1; i < rows; i += 3)
                {
                    for (var j = 0; j < columns; j++)
                    {
                        x[(i * columns) + j] *= 1e-4f;
                    }
                }

                const float epsilon = 1e-3f;
                using var xt = reference.Allocate(TensorShape.Matrix(rows, columns));
                using var yt = reference.Allocate(xt.Shape);
                using var nt = reference.Allocate(TensorShape.Vector(rows));
                reference.Upload(x, xt);
                reference.RowL2Normalize(xt, epsilon, yt, nt);
                var y = SampleTensor.Of(yt.Shape, yt.ToArray());
                var norm = SampleTensor.Vector(nt.ToArray());
                var dy = SampleTensor.Of(yt.Shape, SampleData.Uniform(rows * columns, rows + 9));
                foreach (var acc in new[] { false, true })
                {
                    var dx = SampleTensor.Of(yt.Shape, acc ? SampleData.Uniform(rows * columns, rows + 10) : SampleData.Filled(rows * columns, float.NaN));
                    yield return new OpSample<Args>($"{rows}×{columns} accumulate={acc}", [y, norm, dy, dx], t => new Args(t[0], t[1], t[2], epsilon, t[3], acc));
                }
            }
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary><c>y = x / max(‖x‖, ε)</c> row by row, and each row's norm (see <see cref="RowL2NormalizeOp"/>).</summary>
            public void RowL2Normalize(Tensor x, float epsilon, Tensor y, Tensor norm) => backend.Run(RowL2NormalizeOp.Instance, new RowL2NormalizeOp.Args(x, epsilon, y, norm));

            /// <summary>Backward of the row L2 normalisation (see <see cref="RowL2NormalizeBackwardOp"/>).</summary>
            public void RowL2NormalizeBackward(Tensor y, Tensor norm, Tensor dy, float epsilon, Tensor dx, bool accumulate) => backend.Run(RowL2NormalizeBackwardOp.Instance, new RowL2NormalizeBackwardOp.Args(y, norm, dy, epsilon, dx, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>
        /// Row L2 normalisation <c>y = x / max(‖x‖₂, ε)</c> (see <see cref="RowL2NormalizeOp"/>); with <see cref="GroupGram"/> it
        /// gives cosine similarities within groups of rows. Backward: <c>(dy − y·(y·dy)) / ‖x‖</c>.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Rows, N×D.</param>
        /// <param name="epsilon">Lower bound of the divisor (PyTorch's default 1e-12).</param>
        public static Variable RowL2Normalize(Tape tape, Variable x, float epsilon = 1e-12f)
        {
            Guard.NotNull(tape, x);
            var norm = tape.NewVariable(TensorShape.Vector(x.Shape.Rows), false);
            var y = tape.NewVariable(x.Shape, x.RequiresGrad);
            tape.Backend.RowL2Normalize(x.Value, epsilon, y.Value, norm.Value);
            return tape.Record(new TapeEntry(RowL2NormalizeRule.Instance, y, x, norm, Scalar: epsilon));
        }

        private sealed class RowL2NormalizeRule() : GradientRule<RowL2NormalizeRule>("row-l2-normalize")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var dx = tape.GradientFor(entry.A, out var acc);
                tape.Backend.RowL2NormalizeBackward(entry.Output.Value, entry.B!.Value, entry.Output.Grad!, entry.Scalar, dx, acc);
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                var rng = new SeededRandom(18);
                yield return new GradientCheck("5×4", [GradientLeaf.Random(rng, TensorShape.Matrix(5, 4))], (t, v, _) => RowL2Normalize(t, v[0]));
                yield return new GradientCheck("3×4 below ε (the linear branch)", [GradientLeaf.Random(rng, TensorShape.Matrix(3, 4))], (t, v, _) => RowL2Normalize(t, v[0], 10f));
                yield return new GradientCheck("cosine similarities of 2 groups of 3 rows", [GradientLeaf.Random(rng, TensorShape.Matrix(6, 4))],
                    (t, v, _) => GroupGram(t, RowL2Normalize(t, v[0]), 3));
            }
        }
    }
}
