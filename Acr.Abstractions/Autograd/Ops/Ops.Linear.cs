using Acr.Tensors;

namespace Acr.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Affine map <c>y = x · Wᵀ + b</c>: x is N×in, <paramref name="weight"/> out×in (PyTorch layout),
    /// <paramref name="bias"/> out (or null), y N×out.
    /// </summary>
    /// <param name="tape">The tape.</param>
    /// <param name="x">Input rows.</param>
    /// <param name="weight">Weight matrix.</param>
    /// <param name="bias">Bias vector, or null for none.</param>
    /// <exception cref="ArgumentException">Shapes do not match.</exception>
    public static Variable Linear(Tape tape, Variable x, Variable weight, Variable? bias)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        RequireMatrix(x, nameof(x));
        RequireMatrix(weight, nameof(weight));
        var n = x.Shape[0];
        var inFeatures = x.Shape[1];
        var outFeatures = weight.Shape[0];
        if (weight.Shape[1] != inFeatures)
        {
            throw new ArgumentException($"Linear expects {weight.Shape[1]} input features (weight {weight.Shape}); the input has {inFeatures} (shape {x.Shape}).", nameof(x));
        }

        if (bias is not null)
        {
            RequireLength(bias.Value, outFeatures, nameof(bias), "one per output feature");
        }

        var backend = tape.Backend;
        var y = tape.NewVariable(TensorShape.Matrix(n, outFeatures), AnyRequiresGrad(x, weight, bias));
        backend.Linear(x.Value, weight.Value, bias?.Value, y.Value);

        tape.Record(new TapeEntry(LinearBackward.Instance, y, x, weight, bias));
        return y;
    }

    private sealed class LinearBackward : IBackwardOp
    {
        public static readonly LinearBackward Instance = new();

        public void Backward(Tape tape, in TapeEntry entry)
        {
            var backend = tape.Backend;
            var dy = entry.Output.Grad!;
            var x = entry.A;
            var w = entry.B!;
            if (x.RequiresGrad)
            {
                var dx = tape.GradientFor(x, out var acc);
                backend.Gemm(false, false, 1f, dy, w.Value, acc ? 1f : 0f, dx);
            }

            if (w.RequiresGrad)
            {
                var dw = tape.GradientFor(w, out var acc);
                backend.Gemm(true, false, 1f, dy, x.Value, acc ? 1f : 0f, dw);
            }

            if (entry.C is { RequiresGrad: true } b)
            {
                var db = tape.GradientFor(b, out var acc);
                backend.ColumnSum(dy, db, acc);
            }
        }
    }
}
