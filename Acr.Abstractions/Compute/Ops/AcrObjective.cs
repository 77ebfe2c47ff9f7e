namespace Acr.Compute
{
    /// <summary>
    /// The ACR objective as one scalar: <c>loss[0] = Σ_i w[i] · (a[i] ≠ 0 ? anomalyTerm[i] : normalTerm[i])</c>, where
    /// a = isAnomaly (0 or 1) and w = rowWeight, accumulated in double. The term not selected is never read, so an
    /// infinite AnomalyTerm on a normal row does no harm. With w[i] = 1/(T·n_t) for a row of task t this is the mean
    /// over tasks of the per-task mean. The inputs are read by length: matrices count element by element.
    /// </summary>
    public sealed class AcrObjectiveOp() : ComputeOp<AcrObjectiveOp, AcrObjectiveOp.Args>("acr-objective")
    {
        /// <summary>The arguments.</summary>
        /// <param name="NormalTerm">NormalTerm per row, N.</param>
        /// <param name="AnomalyTerm">AnomalyTerm per row, N.</param>
        /// <param name="IsAnomaly">1 for anomalous rows, 0 for normal rows, N.</param>
        /// <param name="RowWeight">Weight per row, N.</param>
        /// <param name="Loss">Output scalar (1 element).</param>
        public readonly record struct Args(Tensor NormalTerm, Tensor AnomalyTerm, Tensor IsAnomaly, Tensor RowWeight, Tensor Loss);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.NormalTerm, "normalTerm"), (a.AnomalyTerm, "anomalyTerm"), (a.IsAnomaly, "isAnomaly"), (a.RowWeight, "rowWeight"), (a.Loss, "loss"));
            check.SameLength(a.AnomalyTerm, a.NormalTerm, "anomalyTerm", "normalTerm");
            check.SameLength(a.IsAnomaly, a.NormalTerm, "isAnomaly", "normalTerm");
            check.SameLength(a.RowWeight, a.NormalTerm, "rowWeight", "normalTerm");
            check.Length(a.Loss, 1, "loss", "one scalar");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var N = host.Read(a.NormalTerm);
            var A = host.Read(a.AnomalyTerm);
            var Y = host.Read(a.IsAnomaly);
            var W = host.Read(a.RowWeight);
            double s = 0;
            for (var i = 0; i < N.Length; i++)
            {
                s += W[i] * (double)(Y[i] != 0 ? A[i] : N[i]);
            }

            host.Write(a.Loss)[0] = (float)s;
        }

        internal static IEnumerable<(int N, float[] IsAnomaly, float[] Weight)> Rows()
        {
            foreach (var n in SampleData.SweepLengths.Take(257).Append(8192))
            {
                var isAnomaly = SampleData.Uniform(n, n).Select(v => v > 0.4f ? 1f : 0f).ToArray();
                yield return (n, isAnomaly, SampleData.Uniform(n, n + 3, 0.5f, 1f));
            }
        }

        /// <summary>Lengths 1..257 and 8192; the unselected term of every row is ∞ or NaN, which must not reach the sum.</summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (n, isAnomaly, weight) in Rows())
            {
                var normal = SampleData.Uniform(n, n + 1, 1f, 1f);
                var anomaly = SampleData.Uniform(n, n + 2, 1f, 2f);
                for (var i = 0; i < n; i++)
                {
                    if (isAnomaly[i] == 0)
                    {
                        anomaly[i] = i % 2 == 0 ? float.PositiveInfinity : float.NaN;
                    }
                    else
                    {
                        normal[i] = float.PositiveInfinity;
                    }
                }

                yield return new OpSample<Args>($"n={n}",
                    [SampleTensor.Vector(normal), SampleTensor.Vector(anomaly), SampleTensor.Vector(isAnomaly), SampleTensor.Vector(weight), SampleTensor.Vector([float.NaN])],
                    t => new Args(t[0], t[1], t[2], t[3], t[4]));
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="AcrObjectiveOp"/> with upstream scalar gradient g = dLoss[0]:
    /// <c>dNormal[i] (+)= a[i] ≠ 0 ? 0 : g·w[i]</c>; <c>dAnomaly[i] (+)= a[i] ≠ 0 ? g·w[i] : 0</c>.
    /// </summary>
    public sealed class AcrObjectiveBackwardOp() : ComputeOp<AcrObjectiveBackwardOp, AcrObjectiveBackwardOp.Args>("acr-objective-backward")
    {
        /// <summary>The arguments.</summary>
        /// <param name="IsAnomaly">1 for anomalous rows, 0 for normal rows, N.</param>
        /// <param name="RowWeight">Weight per row, N.</param>
        /// <param name="DLoss">Upstream gradient, 1 element.</param>
        /// <param name="DNormal">Gradient with respect to the NormalTerm.</param>
        /// <param name="DAnomaly">Gradient with respect to the AnomalyTerm.</param>
        /// <param name="Accumulate">Add to the outputs instead of overwriting them.</param>
        public readonly record struct Args(Tensor IsAnomaly, Tensor RowWeight, Tensor DLoss, Tensor DNormal, Tensor DAnomaly, bool Accumulate);

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.IsAnomaly, "isAnomaly"), (a.RowWeight, "rowWeight"), (a.DLoss, "dLoss"), (a.DNormal, "dNormal"), (a.DAnomaly, "dAnomaly"));
            check.SameLength(a.RowWeight, a.IsAnomaly, "rowWeight", "isAnomaly");
            check.Length(a.DLoss, 1, "dLoss", "one scalar");
            check.SameLength(a.DNormal, a.IsAnomaly, "dNormal", "isAnomaly");
            check.SameLength(a.DAnomaly, a.IsAnomaly, "dAnomaly", "isAnomaly");
            check.Distinct(a.DAnomaly, a.DNormal, "dAnomaly", "dNormal");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            var Y = host.Read(a.IsAnomaly);
            var W = host.Read(a.RowWeight);
            var g = host.Read(a.DLoss)[0];
            var DN = host.Write(a.DNormal);
            var DA = host.Write(a.DAnomaly);
            for (var i = 0; i < Y.Length; i++)
            {
                var v = g * W[i];
                DN[i] = (a.Accumulate ? DN[i] : 0) + (Y[i] != 0 ? 0 : v);
                DA[i] = (a.Accumulate ? DA[i] : 0) + (Y[i] != 0 ? v : 0);
            }
        }

        /// <inheritdoc />
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            foreach (var (n, isAnomaly, weight) in AcrObjectiveOp.Rows())
            {
                foreach (var acc in new[] { false, true })
                {
                    var dn = SampleTensor.Vector(acc ? SampleData.Uniform(n, 7) : SampleData.Filled(n, float.NaN));
                    var da = SampleTensor.Vector(acc ? SampleData.Uniform(n, 8) : SampleData.Filled(n, float.NaN));
                    yield return new OpSample<Args>($"n={n} accumulate={acc}", [SampleTensor.Vector(isAnomaly), SampleTensor.Vector(weight), SampleTensor.Vector([0.37f]), dn, da],
                        t => new Args(t[0], t[1], t[2], t[3], t[4], acc));
                }
            }
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary>The ACR objective as one scalar (see <see cref="AcrObjectiveOp"/>).</summary>
            public void AcrObjective(Tensor normalTerm, Tensor anomalyTerm, Tensor isAnomaly, Tensor rowWeight, Tensor loss) => backend.Run(AcrObjectiveOp.Instance, new AcrObjectiveOp.Args(normalTerm, anomalyTerm, isAnomaly, rowWeight, loss));

            /// <summary>Backward of the ACR objective (see <see cref="AcrObjectiveBackwardOp"/>).</summary>
            public void AcrObjectiveBackward(Tensor isAnomaly, Tensor rowWeight, Tensor dLoss, Tensor dNormal, Tensor dAnomaly, bool accumulate) => backend.Run(AcrObjectiveBackwardOp.Instance, new AcrObjectiveBackwardOp.Args(isAnomaly, rowWeight, dLoss, dNormal, dAnomaly, accumulate));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>
        /// The ACR training objective as a scalar: <c>Σ_i w[i] · (isAnomaly[i] ≠ 0 ? anomalyTerm[i] : normalTerm[i])</c>
        /// (see <see cref="AcrObjectiveOp"/>). With w = 1/(T·n_t) it is the mean over tasks of the per-task mean.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="normalTerm">Per-row NormalTerm, N.</param>
        /// <param name="anomalyTerm">Per-row AnomalyTerm, N.</param>
        /// <param name="isAnomaly">Per-row label: 1 anomaly, 0 normal (no gradient).</param>
        /// <param name="rowWeight">Per-row weight (no gradient).</param>
        public static Variable AcrObjective(Tape tape, Variable normalTerm, Variable anomalyTerm, Variable isAnomaly, Variable rowWeight)
        {
            Guard.NotNull(tape, normalTerm, anomalyTerm, isAnomaly, rowWeight);
            var loss = tape.NewVariable(TensorShape.Scalar, AnyRequiresGrad(normalTerm, anomalyTerm));
            tape.Backend.AcrObjective(normalTerm.Value, anomalyTerm.Value, isAnomaly.Value, rowWeight.Value, loss.Value);
            return tape.Record(new TapeEntry(AcrObjectiveRule.Instance, loss, normalTerm, anomalyTerm, isAnomaly, rowWeight));
        }

        private sealed class AcrObjectiveRule() : GradientRule<AcrObjectiveRule>("acr-objective")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var normal = entry.A;
                var anomaly = entry.B!;
                var isAnomaly = entry.C!.Value;
                var weight = entry.D!.Value;
                var dLoss = entry.Output.Grad!;

                // Common case (Deep SVDD, NTL): two distinct terms, neither with a gradient yet: write both in place.
                if (normal.RequiresGrad && anomaly.RequiresGrad && !ReferenceEquals(normal, anomaly) && !normal.HasGrad && !anomaly.HasGrad)
                {
                    var dn = tape.GradientFor(normal, out _);
                    var da = tape.GradientFor(anomaly, out _);
                    tape.Backend.AcrObjectiveBackward(isAnomaly, weight, dLoss, dn, da, accumulate: false);
                    return;
                }

                // General case: compute into scratch, then add to (or copy into) whichever needs it.
                var tn = tape.NewVariable(normal.Shape, false).Value;
                var ta = tape.NewVariable(anomaly.Shape, false).Value;
                tape.Backend.AcrObjectiveBackward(isAnomaly, weight, dLoss, tn, ta, accumulate: false);
                if (normal.RequiresGrad)
                {
                    AddOrCopy(tape, tn, normal);
                }

                if (anomaly.RequiresGrad)
                {
                    AddOrCopy(tape, ta, anomaly);
                }
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                var rng = new SeededRandom(7);
                float[] labels = [0, 1, 0, 0, 1, 1, 0];
                var weights = Enumerable.Range(0, 7).Select(i => 0.1f * (i + 1)).ToArray();
                yield return new GradientCheck("routes each row to its term", [GradientLeaf.Random(rng, TensorShape.Vector(7)), GradientLeaf.Random(rng, TensorShape.Vector(7))],
                    (t, v, _) => AcrObjective(t, v[0], v[1], t.Input(labels, TensorShape.Vector(7)), t.Input(weights, TensorShape.Vector(7))));
            }
        }
    }
}
