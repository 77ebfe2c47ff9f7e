namespace Acr.Compute
{
    /// <summary><c>y[i] = x[i] &gt; 0 ? x[i] : 0</c>, so NaN and −0 map to +0. y has x's length and may be x.</summary>
    public sealed class ReluOp() : PointwiseOp<ReluOp>("relu")
    {
        /// <inheritdoc />
        protected override float Apply(float x, float y, float scalar) => x > 0 ? x : 0;

        /// <inheritdoc />
        protected override double SampleTolerance => 0;

        /// <summary>Uniform values with NaN, −0 and ±∞ among them.</summary>
        /// <param name="n">The length.</param>
        protected override float[] SampleInput(int n)
        {
            var x = SampleData.Uniform(n, n);
            for (var i = 5; i < n; i += 13)
            {
                x[i] = float.NaN;
            }

            if (n > 3)
            {
                (x[1], x[2], x[3]) = (-0f, float.PositiveInfinity, float.NegativeInfinity);
            }

            return x;
        }
    }

    /// <summary><c>dx[i] = (accumulate ? dx[i] : 0) + (y[i] &gt; 0 ? dy[i] : 0)</c>, where y is the ReLU output.</summary>
    public sealed class ReluBackwardOp() : PointwiseBackwardOp<ReluBackwardOp>("relu-backward")
    {
        /// <inheritdoc />
        protected override float Gradient(float y, float dy) => y > 0 ? dy : 0;
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary><c>y = max(x, 0)</c>, NaN to 0 (see <see cref="ReluOp"/>).</summary>
            public void Relu(Tensor x, Tensor y) => backend.Run(ReluOp.Instance, new PointwiseArgs(x, 0f, y));

            /// <summary><c>dx (+)= y &gt; 0 ? dy : 0</c> (see <see cref="ReluBackwardOp"/>).</summary>
            public void ReluBackward(Tensor y, Tensor dy, Tensor dx, bool accumulate) => backend.Run(ReluBackwardOp.Instance, new PointwiseBackwardArgs(y, dy, dx, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>Rectified linear unit, <c>y = max(x, 0)</c> element-wise (NaN maps to 0).</summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input.</param>
        public static Variable Relu(Tape tape, Variable x)
        {
            Guard.NotNull(tape, x);
            var y = tape.NewVariable(x.Shape, x.RequiresGrad);
            tape.Backend.Relu(x.Value, y.Value);
            return tape.Record(new TapeEntry(ReluRule.Instance, y, x));
        }

        private sealed class ReluRule() : ReluBackwardOp.Rule<ReluRule>("relu")
        {
            public override IEnumerable<GradientCheck> GradientChecks()
            {
                // Values kept away from the kink at 0, where the derivative is undefined.
                var leaf = GradientLeaf.Random(new SeededRandom(3), TensorShape.Matrix(4, 5));
                for (var i = 0; i < leaf.Values.Length; i++)
                {
                    leaf.Values[i] += leaf.Values[i] >= 0 ? 0.1f : -0.1f;
                }

                yield return new GradientCheck("4×5 away from the kink", [leaf], (t, v, _) => Relu(t, v[0]));
            }
        }
    }
}
