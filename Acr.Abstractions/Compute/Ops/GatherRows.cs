namespace Acr.Compute
{
    /// <summary>
    /// Gathers rows by index: <c>y[i, :] = x[indices[i], :]</c>; x is R×C, indices an Int32 vector of N, y N×C. An index
    /// outside [0, R) gives a row of NaN (kernels never read out of bounds, and the bad row is visible). Indices may
    /// repeat. y must not alias x. This is how a batch is drawn from data kept on the device: upload N indices, not N rows.
    /// </summary>
    public sealed class GatherRowsOp() : ComputeOp<GatherRowsOp, GatherRowsOp.Args>("gather-rows")
    {
        /// <summary>The arguments.</summary>
        /// <param name="X">Source rows, R×C.</param>
        /// <param name="Indices">Row of x for each output row (Int32), N.</param>
        /// <param name="Y">Gathered rows, N×C.</param>
        public readonly record struct Args(Tensor X, Tensor Indices, Tensor Y);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a) => check.RowsByIndex(a.Y, "y", a.X, "x", a.Indices);

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int r = a.X.Shape.Rows, c = a.X.Shape.Columns;
            var X = host.Read(a.X);
            var I = host.ReadInt32(a.Indices);
            var Y = host.Write(a.Y);
            for (var i = 0; i < I.Length; i++)
            {
                for (var j = 0; j < c; j++)
                {
                    Y[(i * c) + j] = I[i] >= 0 && I[i] < r ? X[(I[i] * c) + j] : float.NaN;
                }
            }
        }

        /// <summary>Row shapes × index lists with repeats, every row, and out-of-range indices.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (rows, columns) in SampleData.RowShapes)
            {
                var x = SampleTensor.Of(TensorShape.Matrix(rows, columns), SampleData.Uniform(rows * columns, rows));
                foreach (var (name, indices) in GatherRowsRules.Indices(rows))
                {
                    var y = SampleTensor.Of(TensorShape.Matrix(indices.Length, columns), SampleData.Filled(indices.Length * columns, -7f));
                    yield return new OpSample<Args>($"{rows}×{columns} {name}", [x, SampleTensor.Of(TensorShape.Vector(indices.Length), indices), y],
                        t => new Args(t[0], t[1], t[2])) { Tolerance = 0 };
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="GatherRowsOp"/>: <c>dx = (accumulate ? dx : 0)</c>, then for i = 0, 1, …, N−1 in order,
    /// <c>dx[indices[i], :] += dy[i, :]</c> (out-of-range indices are skipped). The order fixes the rounding of repeated
    /// indices, so results are deterministic.
    /// </summary>
    public sealed class ScatterAddRowsOp() : ComputeOp<ScatterAddRowsOp, ScatterAddRowsOp.Args>("scatter-add-rows")
    {
        /// <summary>The arguments.</summary>
        /// <param name="Dy">Rows to add, N×C.</param>
        /// <param name="Indices">Destination row of each (Int32), N.</param>
        /// <param name="Dx">Destination, R×C.</param>
        /// <param name="Accumulate">Add to dx instead of starting from zero.</param>
        public readonly record struct Args(Tensor Dy, Tensor Indices, Tensor Dx, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a) => check.RowsByIndex(a.Dy, "dy", a.Dx, "dx", a.Indices);

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int r = a.Dx.Shape.Rows, c = a.Dx.Shape.Columns;
            var DY = host.Read(a.Dy);
            var I = host.ReadInt32(a.Indices);
            var DX = host.Write(a.Dx);
            if (!a.Accumulate)
            {
                DX.Clear();
            }

            for (var i = 0; i < I.Length; i++)
            {
                if (I[i] >= 0 && I[i] < r)
                {
                    for (var j = 0; j < c; j++)
                    {
                        DX[(I[i] * c) + j] += DY[(i * c) + j];
                    }
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (rows, columns) in SampleData.RowShapes)
            {
                foreach (var (name, indices) in GatherRowsRules.Indices(rows))
                {
                    var dy = SampleTensor.Of(TensorShape.Matrix(indices.Length, columns), SampleData.Uniform(indices.Length * columns, rows + 1));
                    var idx = SampleTensor.Of(TensorShape.Vector(indices.Length), indices);
                    foreach (var acc in new[] { false, true })
                    {
                        var dx = SampleTensor.Of(TensorShape.Matrix(rows, columns), acc ? SampleData.Uniform(rows * columns, rows + 2) : SampleData.Filled(rows * columns, float.NaN));
                        yield return new OpSample<Args>($"{rows}×{columns} {name} accumulate={acc}", [dy, idx, dx], t => new Args(t[0], t[1], t[2], acc)) { Tolerance = 0 };
                    }
                }
            }
        }
    }

    internal static class GatherRowsRules
    {
        public static IEnumerable<(string Name, int[] Indices)> Indices(int rows)
        {
            yield return ("every row reversed", Enumerable.Range(0, rows).Reverse().ToArray());
            var random = new SeededRandom((ulong)rows);
            yield return ("random with repeats", Enumerable.Range(0, (2 * rows) + 3).Select(_ => random.NextInt(rows)).ToArray());
            yield return ("out of range", [rows, -1, 0, int.MaxValue, rows - 1, int.MinValue]);
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary><c>y[i, :] = x[indices[i], :]</c> (see <see cref="GatherRowsOp"/>).</summary>
            public void GatherRows(Tensor x, Tensor indices, Tensor y) => backend.Run(GatherRowsOp.Instance, new GatherRowsOp.Args(x, indices, y));

            /// <summary><c>dx[indices[i], :] += dy[i, :]</c> in index order (see <see cref="ScatterAddRowsOp"/>).</summary>
            public void ScatterAddRows(Tensor dy, Tensor indices, Tensor dx, bool accumulate) => backend.Run(ScatterAddRowsOp.Instance, new ScatterAddRowsOp.Args(dy, indices, dx, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>Rows of <paramref name="x"/> by index, <c>y[i] = x[indices[i]]</c> (see <see cref="GatherRowsOp"/>). Backward: scatter-add in index order.</summary>
        /// <param name="tape">The tape.</param>
        /// <param name="x">Source rows, R×C.</param>
        /// <param name="indices">Int32 row indices, N (no gradient).</param>
        public static Variable GatherRows(Tape tape, Variable x, Tensor indices)
        {
            Guard.NotNull(tape, x, indices);
            var y = tape.NewVariable(TensorShape.Matrix(indices.Length, x.Shape.Columns), x.RequiresGrad);
            tape.Backend.GatherRows(x.Value, indices, y.Value);
            return tape.Record(new TapeEntry(GatherRowsRule.Instance, y, x, State: indices));
        }

        private sealed class GatherRowsRule() : GradientRule<GatherRowsRule>("gather-rows")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var dx = tape.GradientFor(entry.A, out var acc);
                tape.Backend.ScatterAddRows(entry.Output.Grad!, (Tensor)entry.State!, dx, acc);
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                int[] indices = [5, 0, 0, 3, 2, 5, 1];
                yield return new GradientCheck("6×3 gathered with repeats", [GradientLeaf.Random(new SeededRandom(15), TensorShape.Matrix(6, 3))], (t, v, _) =>
                {
                    var y = GatherRows(t, v[0], t.Input(indices, TensorShape.Vector(indices.Length)).Value);
                    return Linear(t, y, t.Input([0.5f, -1f, 2f], TensorShape.Matrix(1, 3)), null);
                });
            }
        }
    }
}
