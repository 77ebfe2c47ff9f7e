using Acr.Tensors;

namespace Acr.Autograd;

public static partial class Ops
{
    /// <summary>
    /// The ACR training objective as a scalar: <c>Σ_i w[i] · (isAnomaly[i] ≠ 0 ? anomalyTerm[i] : normalTerm[i])</c>
    /// (see <see cref="Compute.IComputeBackend.AcrObjective"/>). With w = 1/(T·n_t) it is the mean over tasks of the per-task mean.
    /// </summary>
    /// <param name="tape">The tape.</param>
    /// <param name="normalTerm">Per-row NormalTerm, N.</param>
    /// <param name="anomalyTerm">Per-row AnomalyTerm, N.</param>
    /// <param name="isAnomaly">Per-row label: 1 anomaly, 0 normal (no gradient).</param>
    /// <param name="rowWeight">Per-row weight (no gradient).</param>
    public static Variable AcrObjective(Tape tape, Variable normalTerm, Variable anomalyTerm, Variable isAnomaly, Variable rowWeight)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(normalTerm);
        ArgumentNullException.ThrowIfNull(anomalyTerm);
        ArgumentNullException.ThrowIfNull(isAnomaly);
        ArgumentNullException.ThrowIfNull(rowWeight);
        var n = normalTerm.Value.Length;
        RequireLength(anomalyTerm.Value, n, nameof(anomalyTerm), "one per row");
        RequireLength(isAnomaly.Value, n, nameof(isAnomaly), "one per row");
        RequireLength(rowWeight.Value, n, nameof(rowWeight), "one per row");
        var loss = tape.NewVariable(TensorShape.Scalar, AnyRequiresGrad(normalTerm, anomalyTerm));
        tape.Backend.AcrObjective(normalTerm.Value, anomalyTerm.Value, isAnomaly.Value, rowWeight.Value, loss.Value);
        tape.Record(new TapeEntry(AcrObjectiveBackwardOp.Instance, loss, normalTerm, anomalyTerm, isAnomaly, rowWeight));
        return loss;
    }

    private sealed class AcrObjectiveBackwardOp : IBackwardOp
    {
        public static readonly AcrObjectiveBackwardOp Instance = new();

        public void Backward(Tape tape, in TapeEntry entry)
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

        private static void AddOrCopy(Tape tape, Tensor source, Variable target)
        {
            var destination = tape.GradientFor(target, out var accumulate);
            if (accumulate)
            {
                tape.Backend.Axpy(1f, source, destination);
            }
            else
            {
                tape.Backend.Copy(source, destination);
            }
        }
    }
}
