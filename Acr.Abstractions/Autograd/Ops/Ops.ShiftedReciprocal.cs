namespace Acr.Autograd;

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
        tape.Record(new TapeEntry(ShiftedReciprocalBackwardOp.Instance, y, x, Scalar: epsilon));
        return y;
    }

    private sealed class ShiftedReciprocalBackwardOp : IBackwardOp
    {
        public static readonly ShiftedReciprocalBackwardOp Instance = new();

        public void Backward(Tape tape, in TapeEntry entry)
        {
            var dx = tape.GradientFor(entry.A, out var acc);
            tape.Backend.ShiftedReciprocalBackward(entry.Output.Value, entry.Output.Grad!, dx, acc);
        }
    }
}
