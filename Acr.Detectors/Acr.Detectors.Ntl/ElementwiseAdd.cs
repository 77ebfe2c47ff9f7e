using Acr.Autograd;
using Acr.Compute;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Detectors.Ntl;

/// <summary>Element-wise sum on the tape, built from the contract's copy and axpy.</summary>
public static class ElementwiseSum
{
    /// <summary><c>y = a + b</c> for two tensors of one shape. Backward: dA (+)= dy, dB (+)= dy.</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="a">First addend.</param>
    /// <param name="b">Second addend, of a's shape.</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Variable Add(Tape tape, Variable a, Variable b)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape != b.Shape)
        {
            throw new ArgumentException($"Add takes two tensors of one shape; got {a.Shape} and {b.Shape}.", nameof(b));
        }

        var y = tape.NewVariable(a.Shape, a.RequiresGrad || b.RequiresGrad);
        tape.Backend.Copy(a.Value, y.Value);
        tape.Backend.Axpy(1f, b.Value, y.Value);
        return tape.Record(new TapeEntry(AddRule.Instance, y, a, b));
    }

    /// <summary>The gradient rule of <see cref="Add"/>.</summary>
    public sealed class AddRule() : GradientRule<AddRule>("ntl-add")
    {
        /// <inheritdoc />
        public override void Backward(Tape tape, in TapeEntry entry)
        {
            ArgumentNullException.ThrowIfNull(tape);
            var dy = entry.Output.Grad!;
            foreach (var input in new[] { entry.A, entry.B! })
            {
                if (!input.RequiresGrad)
                {
                    continue;
                }

                var g = tape.GradientFor(input, out var accumulate);
                if (accumulate)
                {
                    tape.Backend.Axpy(1f, dy, g);
                }
                else
                {
                    tape.Backend.Copy(dy, g);
                }
            }
        }

        /// <inheritdoc />
        public override IEnumerable<GradientCheck> GradientChecks()
        {
            var rng = new SeededRandom(43);
            yield return new GradientCheck("4×3 + 4×3", [GradientLeaf.Random(rng, TensorShape.Matrix(4, 3)), GradientLeaf.Random(rng, TensorShape.Matrix(4, 3))],
                (t, v, _) => Add(t, v[0], v[1]));
            yield return new GradientCheck("a + a (accumulated gradient)", [GradientLeaf.Random(rng, TensorShape.Matrix(2, 5))], (t, v, _) => Add(t, v[0], v[0]));
        }
    }
}
