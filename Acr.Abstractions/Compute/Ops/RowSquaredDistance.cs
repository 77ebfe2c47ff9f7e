namespace Acr.Compute
{
    /// <summary><c>distance[i] = Σ_j (z[i,j] − center[j])²</c>; z is N×D, center D, distance N: Deep SVDD's d = ‖z − c‖².</summary>
    public sealed class RowSquaredDistanceOp() : ComputeOp<RowSquaredDistanceOp, RowSquaredDistanceOp.Args>("row-squared-distance")
    {
        /// <summary>The arguments.</summary>
        /// <param name="Z">Embeddings, N×D.</param>
        /// <param name="Center">The centre, D.</param>
        /// <param name="Distance">Squared distances, N.</param>
        public readonly record struct Args(Tensor Z, Tensor Center, Tensor Distance);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.Z, "z"), (a.Center, "center"), (a.Distance, "distance"));
            check.Length(a.Center, a.Z.Shape.Columns, "center", "one per column of z");
            check.Length(a.Distance, a.Z.Shape.Rows, "distance", "one per row of z");
            check.Distinct(a.Distance, a.Z, "distance", "z");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int n = a.Z.Shape.Rows, d = a.Z.Shape.Columns;
            var Z = host.Read(a.Z);
            var C = host.Read(a.Center);
            var D = host.Write(a.Distance);
            for (var i = 0; i < n; i++)
            {
                double s = 0;
                for (var j = 0; j < d; j++)
                {
                    var e = Z[(i * d) + j] - (double)C[j];
                    s += e * e;
                }

                D[i] = (float)s;
            }
        }

        internal static IEnumerable<(int Rows, int D, SampleTensor Z, SampleTensor Center)> Inputs()
        {
            foreach (var rows in new[] { 1, 2, 17, 513, 1100 })
            {
                foreach (var d in new[] { 1, 3, 8, 16, 17, 64, 129 })
                {
                    yield return (rows, d, SampleTensor.Of(TensorShape.Matrix(rows, d), SampleData.Uniform(rows * d, rows + d, 1f, 0.5f)), SampleTensor.Vector(SampleData.Uniform(d, d)));
                }
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples() =>
            Inputs().Select(s => new OpSample<Args>($"N={s.Rows} D={s.D}", [s.Z, s.Center, SampleTensor.Vector(SampleData.Filled(s.Rows, float.NaN))], t => new Args(t[0], t[1], t[2])));
    }

    /// <summary>
    /// Backward of <see cref="RowSquaredDistanceOp"/> with upstream gradient g = dDistance:
    /// <c>dz[i,j] (+)= 2·g[i]·(z[i,j] − center[j])</c>; <c>dCenter[j] (+)= −Σ_i 2·g[i]·(z[i,j] − center[j])</c>.
    /// </summary>
    public sealed class RowSquaredDistanceBackwardOp() : ComputeOp<RowSquaredDistanceBackwardOp, RowSquaredDistanceBackwardOp.Args>("row-squared-distance-backward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="Z">Embeddings, N×D.</param>
        /// <param name="Center">The centre, D.</param>
        /// <param name="DDistance">Upstream gradient, N.</param>
        /// <param name="Dz">Gradient with respect to z.</param>
        /// <param name="AccumulateZ">Add to dz instead of overwriting it.</param>
        /// <param name="DCenter">Gradient with respect to the centre.</param>
        /// <param name="AccumulateCenter">Add to dCenter instead of overwriting it.</param>
        public readonly record struct Args(Tensor Z, Tensor Center, Tensor DDistance, Tensor Dz, bool AccumulateZ, Tensor DCenter, bool AccumulateCenter);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.Z, "z"), (a.Center, "center"), (a.DDistance, "dDistance"), (a.Dz, "dz"), (a.DCenter, "dCenter"));
            int rows = a.Z.Shape.Rows, columns = a.Z.Shape.Columns;
            check.Length(a.Center, columns, "center", "one per column of z");
            check.Length(a.DDistance, rows, "dDistance", "one per row of z");
            check.Matrix(a.Dz, rows, columns, "dz");
            check.Length(a.DCenter, columns, "dCenter", "one per column of z");
            check.Distinct(a.Dz, a.Z, "dz", "z");
            check.Distinct(a.DCenter, a.Center, "dCenter", "center");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int n = a.Z.Shape.Rows, d = a.Z.Shape.Columns;
            var Z = host.Read(a.Z);
            var C = host.Read(a.Center);
            var G = host.Read(a.DDistance);
            var DZ = host.Write(a.Dz);
            var DC = host.Write(a.DCenter);
            var dc = new double[d];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    var v = 2.0 * G[i] * (Z[(i * d) + j] - (double)C[j]);
                    DZ[(i * d) + j] = (float)((a.AccumulateZ ? DZ[(i * d) + j] : 0) + v);
                    dc[j] -= v;
                }
            }

            for (var j = 0; j < d; j++)
            {
                DC[j] = (float)((a.AccumulateCenter ? DC[j] : 0) + dc[j]);
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (rows, d, z, center) in RowSquaredDistanceOp.Inputs())
            {
                var g = SampleTensor.Vector(SampleData.Uniform(rows, rows));
                foreach (var (accZ, accC) in new[] { (false, false), (true, true), (false, true), (true, false) })
                {
                    var dz = SampleTensor.Of(TensorShape.Matrix(rows, d), accZ ? SampleData.Uniform(rows * d, 5) : SampleData.Filled(rows * d, float.NaN));
                    var dc = SampleTensor.Vector(accC ? SampleData.Uniform(d, 6) : SampleData.Filled(d, float.NaN));
                    yield return new OpSample<Args>($"N={rows} D={d} accZ={accZ} accC={accC}", [z, center, g, dz, dc], t => new Args(t[0], t[1], t[2], t[3], accZ, t[4], accC));
                }
            }
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary><c>distance[i] = ‖z[i] − center‖²</c> (see <see cref="RowSquaredDistanceOp"/>).</summary>
            public void RowSquaredDistance(Tensor z, Tensor center, Tensor distance) => backend.Run(RowSquaredDistanceOp.Instance, new RowSquaredDistanceOp.Args(z, center, distance));

            /// <summary>Backward of the row squared distance (see <see cref="RowSquaredDistanceBackwardOp"/>).</summary>
            public void RowSquaredDistanceBackward(Tensor z, Tensor center, Tensor dDistance, Tensor dz, bool accumulateZ, Tensor dCenter, bool accumulateCenter) => backend.Run(RowSquaredDistanceBackwardOp.Instance, new RowSquaredDistanceBackwardOp.Args(z, center, dDistance, dz, accumulateZ, dCenter, accumulateCenter));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>Squared Euclidean distance of every row of <paramref name="z"/> (N×D) to <paramref name="center"/> (D): <c>d[i] = Σ_j (z[i,j] − c[j])²</c>, N elements.</summary>
        /// <param name="tape">The tape.</param>
        /// <param name="z">Embeddings.</param>
        /// <param name="center">The centre.</param>
        public static Variable RowSquaredDistance(Tape tape, Variable z, Variable center)
        {
            Guard.NotNull(tape, z, center);
            var d = tape.NewVariable(TensorShape.Vector(z.Shape.Rows), AnyRequiresGrad(z, center));
            tape.Backend.RowSquaredDistance(z.Value, center.Value, d.Value);
            return tape.Record(new TapeEntry(RowSquaredDistanceRule.Instance, d, z, center));
        }

        private sealed class RowSquaredDistanceRule() : GradientRule<RowSquaredDistanceRule>("row-squared-distance")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var z = entry.A;
                var c = entry.B!;
                var accZ = false;
                var accC = false;
                var dz = z.RequiresGrad ? tape.GradientFor(z, out accZ) : tape.NewVariable(z.Shape, false).Value;
                var dc = c.RequiresGrad ? tape.GradientFor(c, out accC) : tape.NewVariable(c.Shape, false).Value;
                tape.Backend.RowSquaredDistanceBackward(z.Value, c.Value, entry.Output.Grad!, dz, accZ, dc, accC);
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                var rng = new SeededRandom(5);
                yield return new GradientCheck("6×4", [GradientLeaf.Random(rng, TensorShape.Matrix(6, 4)), GradientLeaf.Random(rng, TensorShape.Vector(4))],
                    (t, v, _) => RowSquaredDistance(t, v[0], v[1]));
            }
        }
    }
}
