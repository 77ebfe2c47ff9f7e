namespace Acr.Compute
{
    /// <summary><c>y[i] = 1 / (x[i] + epsilon)</c>: Deep SVDD's AnomalyTerm 1/(d + ε). y may be x.</summary>
    public sealed class ShiftedReciprocalOp() : ComputeOp<ShiftedReciprocalOp, ShiftedReciprocalOp.Args>("shifted-reciprocal")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input.</param>
        /// <param name="Epsilon">Shift that keeps the reciprocal finite at x = 0.</param>
        /// <param name="Y">Output (may be X).</param>
        public readonly record struct Args(Tensor X, float Epsilon, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.X, "x"), (a.Y, "y"));
            check.SameLength(a.Y, a.X, "y", "x");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var X = host.Read(a.X);
            var Y = host.Write(a.Y);
            for (var i = 0; i < X.Length; i++)
            {
                Y[i] = 1f / (X[i] + a.Epsilon);
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var n in SampleData.SweepLengths)
            {
                var x = SampleData.Uniform(n, n, 1f, 1f);
                if (n > 2)
                {
                    x[1] = 0;
                }

                yield return new OpSample<Args>($"n={n}", [SampleTensor.Vector(x), SampleTensor.Vector(SampleData.Filled(n, float.NaN))], t => new Args(t[0], 1e-3f, t[1]));
                yield return new OpSample<Args>($"n={n} in place", [SampleTensor.Vector(x)], t => new Args(t[0], 1e-3f, t[0]));
            }
        }
    }

    /// <summary><c>dx[i] = (accumulate ? dx[i] : 0) − dy[i] · y[i]²</c>, where y = 1/(x + ε) is the forward output.</summary>
    public sealed class ShiftedReciprocalBackwardOp() : PointwiseBackwardOp<ShiftedReciprocalBackwardOp>("shifted-reciprocal-backward")
    {
        /// <inheritdoc />
        protected override (float Scale, float Offset) OutputRange => (2f, 2.5f);

        /// <inheritdoc />
        protected override float Gradient(float y, float dy) => -(dy * y * y);
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary><c>y = 1 / (x + epsilon)</c> (see <see cref="ShiftedReciprocalOp"/>).</summary>
            public void ShiftedReciprocal(Tensor x, float epsilon, Tensor y) => backend.Run(ShiftedReciprocalOp.Instance, new ShiftedReciprocalOp.Args(x, epsilon, y));

            /// <summary><c>dx (+)= −dy · y²</c> (see <see cref="ShiftedReciprocalBackwardOp"/>).</summary>
            public void ShiftedReciprocalBackward(Tensor y, Tensor dy, Tensor dx, bool accumulate) => backend.Run(ShiftedReciprocalBackwardOp.Instance, new PointwiseBackwardArgs(y, dy, dx, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>Element-wise <c>y = 1 / (x + epsilon)</c>.</summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input.</param>
        /// <param name="epsilon">Shift keeping the result finite at x = 0.</param>
        public static Variable ShiftedReciprocal(Tape tape, Variable x, float epsilon)
        {
            Guard.NotNull(tape, x);
            var y = tape.NewVariable(x.Shape, x.RequiresGrad);
            tape.Backend.ShiftedReciprocal(x.Value, epsilon, y.Value);
            return tape.Record(new TapeEntry(ShiftedReciprocalRule.Instance, y, x, Scalar: epsilon));
        }

        private sealed class ShiftedReciprocalRule() : ShiftedReciprocalBackwardOp.Rule<ShiftedReciprocalRule>("shifted-reciprocal")
        {
            public override IEnumerable<GradientCheck> GradientChecks()
            {
                yield return new GradientCheck("9 values in [0.5, 3)", [GradientLeaf.Random(new SeededRandom(6), TensorShape.Vector(9), 0.5f, 3f)],
                    (t, v, _) => ShiftedReciprocal(t, v[0], 1e-6f)) { Step = 1e-3 };
            }
        }
    }
}
