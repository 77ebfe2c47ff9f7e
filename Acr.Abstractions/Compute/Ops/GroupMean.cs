namespace Acr.Compute
{
    /// <summary>
    /// Mean over groups of <c>V</c> consecutive rows: <c>y[g, j] = (1/V) Σ_{v&lt;V} x[g·V + v, j]</c>, accumulated in double;
    /// x is (G·V)×C, y G×C (e.g. NTL's per-row mean of the losses of its V views). y must not alias x.
    /// </summary>
    public sealed class GroupMeanOp() : ComputeOp<GroupMeanOp, GroupMeanOp.Args>("group-mean")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input, (G·V)×C.</param>
        /// <param name="GroupSize">Rows per group V, at least 1.</param>
        /// <param name="Y">Group means, G×C.</param>
        public readonly record struct Args(Tensor X, int GroupSize, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a) => check.RowsByGroup(a.Y, "y", a.X, "x", a.GroupSize);

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int c = a.X.Shape.Columns, v = a.GroupSize, groups = a.X.Shape.Rows / v;
            var X = host.Read(a.X);
            var Y = host.Write(a.Y);
            for (var g = 0; g < groups; g++)
            {
                for (var j = 0; j < c; j++)
                {
                    double s = 0;
                    for (var k = 0; k < v; k++)
                    {
                        s += X[(((g * v) + k) * c) + j];
                    }

                    Y[(g * c) + j] = (float)(s / v);
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (groups, v, c) in GroupMeanRules.Shapes)
            {
                var x = SampleTensor.Of(TensorShape.Matrix(groups * v, c), SampleData.Uniform(groups * v * c, groups + v + c, 2f, 1f));
                var y = SampleTensor.Of(TensorShape.Matrix(groups, c), SampleData.Filled(groups * c, float.NaN));
                yield return new OpSample<Args>($"G={groups} V={v} C={c}", [x, y], t => new Args(t[0], v, t[1]));
            }
        }
    }

    /// <summary>Backward of <see cref="GroupMeanOp"/>: <c>dx[g·V + v, j] (+)= dy[g, j] / V</c>.</summary>
    public sealed class GroupMeanBackwardOp() : ComputeOp<GroupMeanBackwardOp, GroupMeanBackwardOp.Args>("group-mean-backward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="Dy">Gradient of the means, G×C.</param>
        /// <param name="GroupSize">Rows per group V.</param>
        /// <param name="Dx">Gradient of the input, (G·V)×C.</param>
        /// <param name="Accumulate">Add to dx instead of overwriting it.</param>
        public readonly record struct Args(Tensor Dy, int GroupSize, Tensor Dx, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a) => check.RowsByGroup(a.Dy, "dy", a.Dx, "dx", a.GroupSize);

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int c = a.Dx.Shape.Columns, v = a.GroupSize, rows = a.Dx.Shape.Rows;
            var DY = host.Read(a.Dy);
            var DX = host.Write(a.Dx);
            for (var i = 0; i < rows; i++)
            {
                for (var j = 0; j < c; j++)
                {
                    DX[(i * c) + j] = (a.Accumulate ? DX[(i * c) + j] : 0) + (DY[(i / v * c) + j] / v);
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (groups, v, c) in GroupMeanRules.Shapes)
            {
                var dy = SampleTensor.Of(TensorShape.Matrix(groups, c), SampleData.Uniform(groups * c, groups + c));
                foreach (var acc in new[] { false, true })
                {
                    var dx = SampleTensor.Of(TensorShape.Matrix(groups * v, c), acc ? SampleData.Uniform(groups * v * c, v) : SampleData.Filled(groups * v * c, float.NaN));
                    yield return new OpSample<Args>($"G={groups} V={v} C={c} accumulate={acc}", [dy, dx], t => new Args(t[0], v, t[1], acc));
                }
            }
        }
    }

    internal static class GroupMeanRules
    {
        public static readonly (int Groups, int V, int C)[] Shapes = [(1, 1, 1), (3, 2, 5), (7, 20, 1), (64, 20, 32), (1000, 3, 17), (5, 1, 130), (2, 300, 2)];
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary>Mean over groups of consecutive rows (see <see cref="GroupMeanOp"/>).</summary>
            public void GroupMean(Tensor x, int groupSize, Tensor y) => backend.Run(GroupMeanOp.Instance, new GroupMeanOp.Args(x, groupSize, y));

            /// <summary>Backward of the group mean (see <see cref="GroupMeanBackwardOp"/>).</summary>
            public void GroupMeanBackward(Tensor dy, int groupSize, Tensor dx, bool accumulate) => backend.Run(GroupMeanBackwardOp.Instance, new GroupMeanBackwardOp.Args(dy, groupSize, dx, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>Mean over groups of <paramref name="groupSize"/> consecutive rows (see <see cref="GroupMeanOp"/>); a vector counts as one column.</summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input, (G·V)×C or a vector of G·V.</param>
        /// <param name="groupSize">Rows per group V.</param>
        public static Variable GroupMean(Tape tape, Variable x, int groupSize)
        {
            Guard.NotNull(tape, x);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groupSize);
            var rows = x.Shape.Rank == 1 ? x.Shape[0] : x.Shape.Rows;
            var shape = x.Shape.Rank == 1 ? TensorShape.Vector(rows / groupSize) : TensorShape.Matrix(rows / groupSize, x.Shape.Columns);
            var source = x.Shape.Rank == 1 ? tape.View(x, TensorShape.Matrix(rows, 1), false).Value : x.Value;
            var y = tape.NewVariable(shape, x.RequiresGrad);
            var target = x.Shape.Rank == 1 ? tape.Backend.View(y.Value, TensorShape.Matrix(shape.Length, 1)) : y.Value;
            tape.Backend.GroupMean(source, groupSize, target);
            return tape.Record(new TapeEntry(GroupMeanRule.Instance, y, x, Flags: groupSize));
        }

        private sealed class GroupMeanRule() : GradientRule<GroupMeanRule>("group-mean")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var x = entry.A;
                var dx = tape.GradientFor(x, out var acc);
                var dy = entry.Output.Grad!;
                var backend = tape.Backend;
                if (x.Shape.Rank == 1)
                {
                    backend.GroupMeanBackward(backend.View(dy, TensorShape.Matrix(dy.Length, 1)), entry.Flags, backend.View(dx, TensorShape.Matrix(dx.Length, 1)), acc);
                }
                else
                {
                    backend.GroupMeanBackward(dy, entry.Flags, dx, acc);
                }
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                var rng = new SeededRandom(16);
                yield return new GradientCheck("12×3 in groups of 4", [GradientLeaf.Random(rng, TensorShape.Matrix(12, 3))], (t, v, _) => GroupMean(t, v[0], 4));
                yield return new GradientCheck("a vector of 10 in groups of 5", [GradientLeaf.Random(rng, TensorShape.Vector(10))], (t, v, _) => GroupMean(t, v[0], 5));
            }
        }
    }
}
