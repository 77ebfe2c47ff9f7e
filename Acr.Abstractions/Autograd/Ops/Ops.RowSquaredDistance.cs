using Acr.Tensors;

namespace Acr.Autograd;

public static partial class Ops
{
    /// <summary>Squared Euclidean distance of every row of <paramref name="z"/> (N×D) to <paramref name="center"/> (D): <c>d[i] = Σ_j (z[i,j] − c[j])²</c>, N elements.</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="z">Embeddings.</param>
    /// <param name="center">The centre.</param>
    public static Variable RowSquaredDistance(Tape tape, Variable z, Variable center)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(z);
        ArgumentNullException.ThrowIfNull(center);
        RequireMatrix(z, nameof(z));
        RequireLength(center.Value, z.Shape[1], nameof(center), "one per embedding dimension");
        var d = tape.NewVariable(TensorShape.Vector(z.Shape[0]), AnyRequiresGrad(z, center));
        tape.Backend.RowSquaredDistance(z.Value, center.Value, d.Value);
        tape.Record(new TapeEntry(RowSquaredDistanceBackwardOp.Instance, d, z, center));
        return d;
    }

    private sealed class RowSquaredDistanceBackwardOp : IBackwardOp
    {
        public static readonly RowSquaredDistanceBackwardOp Instance = new();

        public void Backward(Tape tape, in TapeEntry entry)
        {
            var z = entry.A;
            var c = entry.B!;
            var accZ = false;
            var accC = false;
            var dz = z.RequiresGrad ? tape.GradientFor(z, out accZ) : tape.NewVariable(z.Shape, false).Value;
            var dc = c.RequiresGrad ? tape.GradientFor(c, out accC) : tape.NewVariable(c.Shape, false).Value;
            tape.Backend.RowSquaredDistanceBackward(z.Value, c.Value, entry.Output.Grad!, dz, accZ, dc, accC);
        }
    }
}
