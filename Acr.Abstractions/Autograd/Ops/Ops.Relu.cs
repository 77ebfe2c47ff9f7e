namespace Acr.Autograd;

public static partial class Ops
{
    /// <summary>Rectified linear unit, <c>y = max(x, 0)</c> element-wise (NaN maps to 0).</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="x">Input.</param>
    public static Variable Relu(Tape tape, Variable x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        var y = tape.NewVariable(x.Shape, x.RequiresGrad);
        tape.Backend.Relu(x.Value, y.Value);
        tape.Record(new TapeEntry(ReluBackwardOp.Instance, y, x));
        return y;
    }

    private sealed class ReluBackwardOp : IBackwardOp
    {
        public static readonly ReluBackwardOp Instance = new();

        public void Backward(Tape tape, in TapeEntry entry)
        {
            var dx = tape.GradientFor(entry.A, out var acc);
            tape.Backend.ReluBackward(entry.Output.Value, entry.Output.Grad!, dx, acc);
        }
    }
}
