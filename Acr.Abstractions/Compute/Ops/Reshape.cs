namespace Acr.Autograd;

public static partial class Ops
{
    /// <summary>
    /// The same values under another shape of equal length, without a copy (a view, see
    /// <see cref="Compute.ComputeBackend.View"/>): e.g. N·V rows of D as a batch of N V×D matrices. Backward: <c>dx (+)= dy</c>.
    /// </summary>
    /// <param name="tape">The tape.</param>
    /// <param name="x">The input.</param>
    /// <param name="shape">The new shape.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static Variable Reshape(Tape tape, Variable x, TensorShape shape)
    {
        Guard.NotNull(tape, x);
        var y = tape.View(x, shape, x.RequiresGrad);
        return tape.Record(new TapeEntry(ReshapeRule.Instance, y, x));
    }

    private sealed class ReshapeRule() : GradientRule<ReshapeRule>("reshape")
    {
        // Copy and Axpy read by length, so the output's gradient feeds the input's directly.
        public override void Backward(Tape tape, in TapeEntry entry) => AddOrCopy(tape, entry.Output.Grad!, entry.A);

        public override IEnumerable<GradientCheck> GradientChecks()
        {
            var rng = new SeededRandom(12);
            yield return new GradientCheck("6×4 as 2×3×4, then a linear layer", [GradientLeaf.Random(rng, TensorShape.Matrix(6, 4)), GradientLeaf.Random(rng, TensorShape.Matrix(5, 12))],
                (t, v, _) => Linear(t, Reshape(t, Reshape(t, v[0], new TensorShape(2, 3, 4)), TensorShape.Matrix(2, 12)), v[1], null));
        }
    }
}
