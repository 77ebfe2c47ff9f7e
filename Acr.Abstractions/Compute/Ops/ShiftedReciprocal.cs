namespace Acr.Compute
{
    /// <summary><c>y[i] = 1 / (x[i] + ε)</c>, ε the scalar: Deep SVDD's AnomalyTerm 1/(d + ε). y may be x.</summary>
    public sealed class ShiftedReciprocalOp() : PointwiseOp<ShiftedReciprocalOp>("shifted-reciprocal")
    {
        /// <inheritdoc />
        protected override float Apply(float x, float y, float scalar) => 1f / (x + scalar);

        /// <inheritdoc />
        protected override float SampleScalar => 1e-3f;

        /// <summary>Values in [0, 2) with an exact 0 (where ε keeps the result finite).</summary>
        /// <param name="n">The length.</param>
        protected override float[] SampleInput(int n)
        {
            var x = SampleData.Uniform(n, n, 1f, 1f);
            if (n > 2)
            {
                x[1] = 0;
            }

            return x;
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
            public void ShiftedReciprocal(Tensor x, float epsilon, Tensor y) => backend.Run(ShiftedReciprocalOp.Instance, new PointwiseArgs(x, epsilon, y));

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
