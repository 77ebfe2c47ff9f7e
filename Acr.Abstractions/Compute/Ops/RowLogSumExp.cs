namespace Acr.Compute
{
    /// <summary>
    /// Row-wise log-sum-exp, computed stably: <c>y[i] = m_i + log Σ_j exp(x[i,j] + bias[i mod P, j] − m_i)</c> with
    /// <c>m_i = max_j (x[i,j] + bias[i mod P, j])</c>, never as the log of an exp, so it neither overflows nor underflows
    /// for any finite input. x is R×C, y has R elements. The optional bias (P×C, P ≥ 1, not differentiated) is added to
    /// row i as its row <c>i mod P</c>: a bias of −∞ removes a term, so one op gives NTL's <c>log Σ_{j≠k}</c> (P = C,
    /// −∞ on the diagonal). A row whose terms are all −∞ gives −∞; a +∞ term gives +∞; NaN propagates.
    /// </summary>
    public sealed class RowLogSumExpOp() : ComputeOp<RowLogSumExpOp, RowLogSumExpOp.Args>("row-log-sum-exp")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input, R×C.</param>
        /// <param name="Bias">Periodic additive bias, P×C, or null.</param>
        /// <param name="Y">Output, R.</param>
        public readonly record struct Args(Tensor X, Tensor? Bias, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.X, "x"), (a.Y, "y"));
            check.Length(a.Y, a.X.Shape.Rows, "y", "one per row of x");
            check.Distinct(a.Y, a.X, "y", "x");
            if (a.Bias is { } bias)
            {
                check.Floats(bias, "bias");
                RowLogSumExpRules.Bias(check, bias, a.X.Shape.Columns);
                check.Distinct(a.Y, bias, "y", "bias");
            }
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int r = a.X.Shape.Rows, c = a.X.Shape.Columns;
            var X = host.Read(a.X);
            var B = a.Bias is null ? default : host.Read(a.Bias);
            var period = a.Bias?.Shape.Rows ?? 1;
            var Y = host.Write(a.Y);
            for (var i = 0; i < r; i++)
            {
                Y[i] = (float)RowLogSumExpRules.Row(X.Slice(i * c, c), a.Bias is null ? default : B.Slice(i % period * c, c));
            }
        }

        /// <summary>Row shapes with values up to ±80 (exp would overflow float), none / diagonal / random −∞ biases, fully masked rows, NaN and ±∞.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (rows, columns) in SampleData.RowShapes)
            {
                foreach (var scale in new[] { 10f, 80f })
                {
                    var x = RowLogSumExpRules.Input(rows, columns, scale);
                    var y = SampleTensor.Vector(SampleData.Filled(rows, float.NaN));
                    yield return new OpSample<Args>($"{rows}×{columns} ±{scale}", [x, y], t => new Args(t[0], null, t[1]));
                    foreach (var (name, bias) in RowLogSumExpRules.Biases(columns))
                    {
                        yield return new OpSample<Args>($"{rows}×{columns} ±{scale} bias {name}", [x, bias, y], t => new Args(t[0], t[1], t[2]));
                    }
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="RowLogSumExpOp"/>: <c>dx[i,j] (+)= dy[i] · exp(x[i,j] + bias[i mod P, j] − y[i])</c> (the row's
    /// softmax), 0 where the term is −∞ or the row's y is −∞.
    /// </summary>
    public sealed class RowLogSumExpBackwardOp() : ComputeOp<RowLogSumExpBackwardOp, RowLogSumExpBackwardOp.Args>("row-log-sum-exp-backward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Forward input, R×C.</param>
        /// <param name="Bias">The forward bias, P×C, or null.</param>
        /// <param name="Y">Forward output, R.</param>
        /// <param name="Dy">Gradient with respect to y, R.</param>
        /// <param name="Dx">Gradient with respect to x, R×C.</param>
        /// <param name="Accumulate">Add to dx instead of overwriting it.</param>
        public readonly record struct Args(Tensor X, Tensor? Bias, Tensor Y, Tensor Dy, Tensor Dx, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.X, "x"), (a.Y, "y"), (a.Dy, "dy"), (a.Dx, "dx"));
            int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
            check.Length(a.Y, rows, "y", "one per row of x");
            check.Length(a.Dy, rows, "dy", "one per row of x");
            check.Matrix(a.Dx, rows, columns, "dx");
            check.Distinct(a.Dx, a.X, "dx", "x");
            if (a.Bias is { } bias)
            {
                check.Floats(bias, "bias");
                RowLogSumExpRules.Bias(check, bias, columns);
            }
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int r = a.X.Shape.Rows, c = a.X.Shape.Columns;
            var X = host.Read(a.X);
            var B = a.Bias is null ? default : host.Read(a.Bias);
            var period = a.Bias?.Shape.Rows ?? 1;
            var Y = host.Read(a.Y);
            var DY = host.Read(a.Dy);
            var DX = host.Write(a.Dx);
            for (var i = 0; i < r; i++)
            {
                for (var j = 0; j < c; j++)
                {
                    var v = (double)X[(i * c) + j] + (a.Bias is null ? 0 : B[(i % period * c) + j]);
                    var g = double.IsNegativeInfinity(v) || float.IsNegativeInfinity(Y[i]) ? 0 : DY[i] * Math.Exp(v - Y[i]);
                    DX[(i * c) + j] = (float)((a.Accumulate ? DX[(i * c) + j] : 0) + g);
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            using var reference = new ReferenceBackend();
            foreach (var (rows, columns) in SampleData.RowShapes)
            {
                var x = RowLogSumExpRules.Input(rows, columns, 10f, special: false);
                var dy = SampleTensor.Vector(SampleData.Uniform(rows, rows + 7));
                foreach (var (name, bias) in RowLogSumExpRules.Biases(columns).Prepend(("none", null!)))
                {
                    var y = RowLogSumExpRules.Forward(reference, x, bias);
                    foreach (var acc in new[] { false, true })
                    {
                        var dx = SampleTensor.Of(x.Shape, acc ? SampleData.Uniform(rows * columns, rows + 8) : SampleData.Filled(rows * columns, float.NaN));
                        yield return bias is null
                            ? new OpSample<Args>($"{rows}×{columns} accumulate={acc}", [x, y, dy, dx], t => new Args(t[0], null, t[1], t[2], t[3], acc))
                            : new OpSample<Args>($"{rows}×{columns} bias {name} accumulate={acc}", [x, bias, y, dy, dx], t => new Args(t[0], t[1], t[2], t[3], t[4], acc));
                    }
                }
            }
        }
    }

    /// <summary>The rules and sample data shared by the log-sum-exp ops.</summary>
    internal static class RowLogSumExpRules
    {
        public static void Bias(OpValidator check, Tensor bias, int columns)
        {
            if (bias.Shape.Columns != columns || bias.Shape.Rows < 1)
            {
                check.Fail($"the bias must be a P×{columns} matrix (one row per period, one column per column of x); got shape {bias.Shape}.", "bias");
            }
        }

        /// <summary>log Σ exp(x + b), max-shifted, in double.</summary>
        public static double Row(ReadOnlySpan<float> x, ReadOnlySpan<float> bias)
        {
            var max = double.NegativeInfinity;
            for (var j = 0; j < x.Length; j++)
            {
                var v = (double)x[j] + (bias.IsEmpty ? 0 : bias[j]);
                if (double.IsNaN(v))
                {
                    return double.NaN;
                }

                max = Math.Max(max, v);
            }

            if (double.IsInfinity(max))
            {
                return max;
            }

            double sum = 0;
            for (var j = 0; j < x.Length; j++)
            {
                sum += Math.Exp((double)x[j] + (bias.IsEmpty ? 0 : bias[j]) - max);
            }

            return max + Math.Log(sum);
        }

        public static SampleTensor Input(int rows, int columns, float scale, bool special = true)
        {
            var x = SampleData.Uniform(rows * columns, rows + columns, scale);
            if (special && rows > 3 && columns > 1)
            {
                x[columns] = float.NaN;
                x[2 * columns] = float.PositiveInfinity;
                for (var j = 0; j < columns; j++)
                {
                    x[(3 * columns) + j] = float.NegativeInfinity;
                }
            }

            return SampleTensor.Of(TensorShape.Matrix(rows, columns), x);
        }

        public static IEnumerable<(string Name, SampleTensor Bias)> Biases(int columns)
        {
            var diagonal = new float[columns * columns];
            for (var k = 0; k < columns; k++)
            {
                diagonal[(k * columns) + k] = float.NegativeInfinity;
            }

            yield return ("diagonal −∞", SampleTensor.Of(TensorShape.Matrix(columns, columns), diagonal));
            var random = SampleData.Uniform(3 * columns, columns, 2f);
            for (var e = 0; e < random.Length; e += 5)
            {
                random[e] = float.NegativeInfinity;
            }

            yield return ("3 rows, some −∞", SampleTensor.Of(TensorShape.Matrix(3, columns), random));
        }

        public static SampleTensor Forward(ReferenceBackend reference, SampleTensor x, SampleTensor? bias)
        {
            using var xt = reference.Allocate(x.Shape);
            reference.Upload(x.Floats!, xt);
            using var bt = bias is null ? null : reference.Allocate(bias.Shape);
            if (bt is not null)
            {
                reference.Upload(bias!.Floats!, bt);
            }

            using var y = reference.Allocate(TensorShape.Vector(x.Shape.Rows));
            reference.RowLogSumExp(xt, bt, y);
            return SampleTensor.Vector(y.ToArray());
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary>Stable row-wise log-sum-exp with an optional periodic bias (see <see cref="RowLogSumExpOp"/>).</summary>
            public void RowLogSumExp(Tensor x, Tensor? bias, Tensor y) => backend.Run(RowLogSumExpOp.Instance, new RowLogSumExpOp.Args(x, bias, y));

            /// <summary>Backward of the row-wise log-sum-exp (see <see cref="RowLogSumExpBackwardOp"/>).</summary>
            public void RowLogSumExpBackward(Tensor x, Tensor? bias, Tensor y, Tensor dy, Tensor dx, bool accumulate) => backend.Run(RowLogSumExpBackwardOp.Instance, new RowLogSumExpBackwardOp.Args(x, bias, y, dy, dx, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>
        /// Stable row-wise log-sum-exp <c>y[i] = log Σ_j exp(x[i,j] + bias[i mod P, j])</c> (see <see cref="RowLogSumExpOp"/>);
        /// the bias is a constant (−∞ masks a term). Backward: the row softmax times dy.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input, R×C.</param>
        /// <param name="bias">Periodic bias, P×C, or null.</param>
        public static Variable RowLogSumExp(Tape tape, Variable x, Tensor? bias = null)
        {
            Guard.NotNull(tape, x);
            var y = tape.NewVariable(TensorShape.Vector(x.Shape.Rows), x.RequiresGrad);
            tape.Backend.RowLogSumExp(x.Value, bias, y.Value);
            return tape.Record(new TapeEntry(RowLogSumExpRule.Instance, y, x, State: bias));
        }

        private sealed class RowLogSumExpRule() : GradientRule<RowLogSumExpRule>("row-log-sum-exp")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var dx = tape.GradientFor(entry.A, out var acc);
                tape.Backend.RowLogSumExpBackward(entry.A.Value, (Tensor?)entry.State, entry.Output.Value, entry.Output.Grad!, dx, acc);
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                var rng = new SeededRandom(14);
                yield return new GradientCheck("5×4", [GradientLeaf.Random(rng, TensorShape.Matrix(5, 4), -3f, 3f)], (t, v, _) => RowLogSumExp(t, v[0]));
                yield return new GradientCheck("8×4 without the diagonal (NTL's log Σ_{j≠k})", [GradientLeaf.Random(rng, TensorShape.Matrix(8, 4), -3f, 3f)], (t, v, _) =>
                {
                    var mask = t.Input([float.NegativeInfinity, 0, 0, 0, 0, float.NegativeInfinity, 0, 0, 0, 0, float.NegativeInfinity, 0, 0, 0, 0, float.NegativeInfinity], TensorShape.Matrix(4, 4));
                    return RowLogSumExp(t, v[0], mask.Value);
                });
                yield return new GradientCheck("4×3 at ±50 (no overflow)", [GradientLeaf.Random(rng, TensorShape.Matrix(4, 3), 40f, 50f)], (t, v, _) => RowLogSumExp(t, v[0])) { Step = 1e-2 };
            }
        }
    }
}
