namespace Acr.Compute
{
    /// <summary>
    /// Per-segment column sums (or means): <c>y[s, j] = w_s · Σ_{i∈R_s} x[i, j]</c> with <c>w_s = 1/n_s</c> when Mean is
    /// set and 1 otherwise, accumulated in double; x is N×C, y S×C (e.g. a per-task mean). y must not alias x.
    /// </summary>
    public sealed class SegmentSumOp() : ComputeOp<SegmentSumOp, SegmentSumOp.Args>("segment-sum")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Input, N×C.</param>
        /// <param name="Segments">Row segments covering N rows.</param>
        /// <param name="Mean">Divide each sum by its segment's length.</param>
        /// <param name="Y">Per-segment results, S×C.</param>
        public readonly record struct Args(Tensor X, BatchSegments Segments, bool Mean, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a) => check.RowsBySegment(a.Y, "y", a.X, "x", a.Segments);

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var c = a.X.Shape.Columns;
            var X = host.Read(a.X);
            var Y = host.Write(a.Y);
            for (var s = 0; s < a.Segments.Count; s++)
            {
                int start = a.Segments.Start(s), n = a.Segments.Length(s);
                for (var j = 0; j < c; j++)
                {
                    double sum = 0;
                    for (var i = start; i < start + n; i++)
                    {
                        sum += X[(i * c) + j];
                    }

                    Y[(s * c) + j] = (float)(a.Mean ? sum / n : sum);
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (lengths, c) in SegmentSumRules.Cases)
            {
                var n = lengths.Sum();
                var x = SampleTensor.Of(TensorShape.Matrix(n, c), SampleData.Uniform(n * c, n + c, 2f, 1f));
                var y = SampleTensor.Of(TensorShape.Matrix(lengths.Length, c), SampleData.Filled(lengths.Length * c, float.NaN));
                foreach (var mean in new[] { false, true })
                {
                    yield return new OpSample<Args>($"segments {SegmentSumRules.Name(lengths)} C={c} mean={mean}", [x, y], t => new Args(t[0], t.Segments!, mean, t[1])) { Segments = lengths };
                }
            }
        }
    }

    /// <summary>Backward of <see cref="SegmentSumOp"/>: <c>dx[i, j] (+)= w_s · dy[s, j]</c> for the segment s holding row i.</summary>
    public sealed class SegmentBroadcastOp() : ComputeOp<SegmentBroadcastOp, SegmentBroadcastOp.Args>("segment-broadcast")
    {
        /// <summary>The arguments.</summary>
        /// <param name="Dy">Per-segment values, S×C.</param>
        /// <param name="Segments">Row segments covering N rows.</param>
        /// <param name="Mean">Scale each segment's values by 1/n_s.</param>
        /// <param name="Dx">Per-row output, N×C.</param>
        /// <param name="Accumulate">Add to dx instead of overwriting it.</param>
        public readonly record struct Args(Tensor Dy, BatchSegments Segments, bool Mean, Tensor Dx, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a) => check.RowsBySegment(a.Dy, "dy", a.Dx, "dx", a.Segments);

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var c = a.Dx.Shape.Columns;
            var DY = host.Read(a.Dy);
            var DX = host.Write(a.Dx);
            for (var s = 0; s < a.Segments.Count; s++)
            {
                int start = a.Segments.Start(s), n = a.Segments.Length(s);
                for (var i = start; i < start + n; i++)
                {
                    for (var j = 0; j < c; j++)
                    {
                        var g = a.Mean ? DY[(s * c) + j] / n : DY[(s * c) + j];
                        DX[(i * c) + j] = (a.Accumulate ? DX[(i * c) + j] : 0) + g;
                    }
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (lengths, c) in SegmentSumRules.Cases)
            {
                var n = lengths.Sum();
                var dy = SampleTensor.Of(TensorShape.Matrix(lengths.Length, c), SampleData.Uniform(lengths.Length * c, c));
                foreach (var (mean, acc) in new[] { (false, false), (true, false), (true, true), (false, true) })
                {
                    var dx = SampleTensor.Of(TensorShape.Matrix(n, c), acc ? SampleData.Uniform(n * c, n) : SampleData.Filled(n * c, float.NaN));
                    yield return new OpSample<Args>($"segments {SegmentSumRules.Name(lengths)} C={c} mean={mean} accumulate={acc}", [dy, dx], t => new Args(t[0], t.Segments!, mean, t[1], acc)) { Segments = lengths };
                }
            }
        }
    }

    internal static class SegmentSumRules
    {
        public static readonly (int[] Lengths, int C)[] Cases =
        [
            ([1], 1), ([5], 3), ([1, 1, 1], 17), ([2, 3, 7, 130, 2, 33], 16), ([256, 256, 256, 256], 33), ([1000], 2), ([64, 1, 64], 130),
        ];

        public static string Name(int[] lengths) => lengths.Length <= 4 ? string.Join("+", lengths) : $"{lengths.Length} ragged";
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary>Per-segment column sums or means (see <see cref="SegmentSumOp"/>).</summary>
            public void SegmentSum(Tensor x, BatchSegments segments, bool mean, Tensor y) => backend.Run(SegmentSumOp.Instance, new SegmentSumOp.Args(x, segments, mean, y));

            /// <summary>Each segment's row broadcast to its rows (see <see cref="SegmentBroadcastOp"/>).</summary>
            public void SegmentBroadcast(Tensor dy, BatchSegments segments, bool mean, Tensor dx, bool accumulate) => backend.Run(SegmentBroadcastOp.Instance, new SegmentBroadcastOp.Args(dy, segments, mean, dx, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>Per-segment column sums, or means with <paramref name="mean"/> (see <see cref="SegmentSumOp"/>): N×C to S×C. Backward: broadcast back to the rows.</summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Input, N×C.</param>
        /// <param name="segments">Row segments.</param>
        /// <param name="mean">Divide by each segment's length.</param>
        public static Variable SegmentSum(Tape tape, Variable x, BatchSegments segments, bool mean = false)
        {
            Guard.NotNull(tape, x, segments);
            var y = tape.NewVariable(TensorShape.Matrix(segments.Count, x.Shape.Columns), x.RequiresGrad);
            tape.Backend.SegmentSum(x.Value, segments, mean, y.Value);
            return tape.Record(new TapeEntry(SegmentSumRule.Instance, y, x, State: segments, Flags: mean ? 1 : 0));
        }

        private sealed class SegmentSumRule() : GradientRule<SegmentSumRule>("segment-sum")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var dx = tape.GradientFor(entry.A, out var acc);
                tape.Backend.SegmentBroadcast(entry.Output.Grad!, (BatchSegments)entry.State!, entry.Flags != 0, dx, acc);
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                var rng = new SeededRandom(17);
                yield return new GradientCheck("sums of 3+1+4 rows", [GradientLeaf.Random(rng, TensorShape.Matrix(8, 3))], (t, v, s) => SegmentSum(t, v[0], s!)) { Segments = [3, 1, 4] };
                yield return new GradientCheck("means of 2+6 rows", [GradientLeaf.Random(rng, TensorShape.Matrix(8, 2))], (t, v, s) => SegmentSum(t, v[0], s!, mean: true)) { Segments = [2, 6] };
            }
        }
    }
}
