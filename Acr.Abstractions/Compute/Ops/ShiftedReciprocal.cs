using Acr.Autograd;
using Acr.Compute;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Compute
{
    /// <summary><c>y[i] = 1 / (x[i] + epsilon)</c>: Deep SVDD's AnomalyTerm 1/(d + ε). y may be x.</summary>
    public sealed class ShiftedReciprocalOp : ComputeOp<ShiftedReciprocalOp.Args>
    {
        private ShiftedReciprocalOp()
            : base("shifted-reciprocal")
        {
        }

        /// <summary>The op.</summary>
        public static ShiftedReciprocalOp Instance { get; } = new();

        /// <summary>The arguments.</summary>
        /// <param name="X">Input.</param>
        /// <param name="Epsilon">Shift that keeps the reciprocal finite at x = 0.</param>
        /// <param name="Y">Output (may be X).</param>
        public readonly record struct Args(Tensor X, float Epsilon, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats(a.X, "x");
            check.Floats(a.Y, "y");
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
    public sealed class ShiftedReciprocalBackwardOp : ComputeOp<ShiftedReciprocalBackwardOp.Args>
    {
        private ShiftedReciprocalBackwardOp()
            : base("shifted-reciprocal-backward")
        {
        }

        /// <summary>The op.</summary>
        public static ShiftedReciprocalBackwardOp Instance { get; } = new();

        /// <summary>The arguments.</summary>
        /// <param name="Y">The forward output.</param>
        /// <param name="Dy">Gradient with respect to y.</param>
        /// <param name="Dx">Gradient with respect to x.</param>
        /// <param name="Accumulate">Add to dx instead of overwriting it.</param>
        public readonly record struct Args(Tensor Y, Tensor Dy, Tensor Dx, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats(a.Y, "y");
            check.Floats(a.Dy, "dy");
            check.Floats(a.Dx, "dx");
            check.SameLength(a.Dy, a.Y, "dy", "y");
            check.SameLength(a.Dx, a.Y, "dx", "y");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var Y = host.Read(a.Y);
            var DY = host.Read(a.Dy);
            var DX = host.Write(a.Dx);
            for (var i = 0; i < Y.Length; i++)
            {
                DX[i] = (a.Accumulate ? DX[i] : 0) - (DY[i] * Y[i] * Y[i]);
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var n in SampleData.SweepLengths)
            {
                var y = SampleTensor.Vector(SampleData.Uniform(n, n, 2f, 2.5f));
                var dy = SampleTensor.Vector(SampleData.Uniform(n, n + 1));
                yield return new OpSample<Args>($"n={n}", [y, dy, SampleTensor.Vector(SampleData.Filled(n, float.NaN))], t => new Args(t[0], t[1], t[2], false));
                yield return new OpSample<Args>($"n={n} accumulate", [y, dy, SampleTensor.Vector(SampleData.Uniform(n, n + 2))], t => new Args(t[0], t[1], t[2], true));
            }
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary><c>y = 1 / (x + epsilon)</c> (see <see cref="ShiftedReciprocalOp"/>).</summary>
            /// <param name="x">Input.</param>
            /// <param name="epsilon">Shift keeping the result finite at x = 0.</param>
            /// <param name="y">Output (may be x).</param>
            public void ShiftedReciprocal(Tensor x, float epsilon, Tensor y) =>
                backend.Run(ShiftedReciprocalOp.Instance, new ShiftedReciprocalOp.Args(x, epsilon, y));

            /// <summary><c>dx (+)= −dy · y²</c> (see <see cref="ShiftedReciprocalBackwardOp"/>).</summary>
            /// <param name="y">The forward output.</param>
            /// <param name="dy">Gradient with respect to y.</param>
            /// <param name="dx">Gradient with respect to x.</param>
            /// <param name="accumulate">Add to dx instead of overwriting it.</param>
            public void ShiftedReciprocalBackward(Tensor y, Tensor dy, Tensor dx, bool accumulate) =>
                backend.Run(ShiftedReciprocalBackwardOp.Instance, new ShiftedReciprocalBackwardOp.Args(y, dy, dx, accumulate));
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
            ArgumentNullException.ThrowIfNull(tape);
            ArgumentNullException.ThrowIfNull(x);
            var y = tape.NewVariable(x.Shape, x.RequiresGrad);
            tape.Backend.ShiftedReciprocal(x.Value, epsilon, y.Value);
            tape.Record(new TapeEntry(ShiftedReciprocalRule.Instance, y, x, Scalar: epsilon));
            return y;
        }

        private sealed class ShiftedReciprocalRule : GradientRule
        {
            public static ShiftedReciprocalRule Instance { get; } = new();

            public override string Name => "shifted-reciprocal";

            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var dx = tape.GradientFor(entry.A, out var acc);
                tape.Backend.ShiftedReciprocalBackward(entry.Output.Value, entry.Output.Grad!, dx, acc);
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                yield return new GradientCheck("9 values in [0.5, 3)", [GradientLeaf.Random(new SeededRandom(6), TensorShape.Vector(9), 0.5f, 3f)],
                    (t, v, _) => ShiftedReciprocal(t, v[0], 1e-6f)) { Step = 1e-3 };
            }
        }
    }
}
