using Acr.Autograd;
using Acr.Compute;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Detectors.Ntl;

/// <summary>Row concatenation on the tape, built from the contract's offset copies.</summary>
public static class RowStacking
{
    /// <summary>
    /// <c>y = [a; b]</c>: a (Ra×C) on top of b (Rb×C), y (Ra+Rb)×C. Backward: dA (+)= dy[0, Ra), dB (+)= dy[Ra, Ra+Rb).
    /// </summary>
    /// <param name="tape">The tape.</param>
    /// <param name="a">Upper rows, a matrix.</param>
    /// <param name="b">Lower rows, a matrix with a's column count.</param>
    /// <exception cref="ArgumentException">The inputs are not matrices of one column count.</exception>
    public static Variable StackRows(Tape tape, Variable a, Variable b)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape.Rank != 2 || b.Shape.Rank != 2 || a.Shape.Columns != b.Shape.Columns)
        {
            throw new ArgumentException($"StackRows takes two matrices of one column count; got {a.Shape} and {b.Shape}.", nameof(b));
        }

        var y = tape.NewVariable(TensorShape.Matrix(a.Shape.Rows + b.Shape.Rows, a.Shape.Columns), a.RequiresGrad || b.RequiresGrad);
        tape.Backend.Copy(a.Value, 0, y.Value, 0, a.Value.Length);
        tape.Backend.Copy(b.Value, 0, y.Value, a.Value.Length, b.Value.Length);
        return tape.Record(new TapeEntry(StackRowsRule.Instance, y, a, b));
    }

    /// <summary>
    /// <c>y = [x_0; x_1; …]</c>: the matrices on top of each other, one copy each (stacking pairwise would copy the
    /// upper rows again at every step). Backward: each dx_i (+)= its rows of dy.
    /// </summary>
    /// <param name="tape">The tape.</param>
    /// <param name="parts">At least one matrix, all of one column count.</param>
    /// <exception cref="ArgumentException">No parts, or they are not matrices of one column count.</exception>
    public static Variable StackRows(Tape tape, IReadOnlyList<Variable> parts)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0 || parts.Any(p => p is null || p.Shape.Rank != 2 || p.Shape.Columns != parts[0].Shape.Columns))
        {
            throw new ArgumentException($"StackRows takes one or more matrices of one column count; got {string.Join(", ", parts.Select(p => p?.Shape.ToString() ?? "null"))}.", nameof(parts));
        }

        var copy = parts.ToArray();
        var y = tape.NewVariable(TensorShape.Matrix(copy.Sum(p => p.Shape.Rows), copy[0].Shape.Columns), copy.Any(p => p.RequiresGrad));
        var offset = 0;
        foreach (var p in copy)
        {
            tape.Backend.Copy(p.Value, 0, y.Value, offset, p.Value.Length);
            offset += p.Value.Length;
        }

        return tape.Record(new TapeEntry(StackManyRule.Instance, y, copy[0], State: copy));
    }

    /// <summary>The gradient rule of <see cref="StackRows(Tape, IReadOnlyList{Variable})"/>.</summary>
    public sealed class StackManyRule() : GradientRule<StackManyRule>("ntl-stack-many-rows")
    {
        /// <inheritdoc />
        public override void Backward(Tape tape, in TapeEntry entry)
        {
            ArgumentNullException.ThrowIfNull(tape);
            var dy = entry.Output.Grad!;
            var offset = 0;
            foreach (var part in (Variable[])entry.State!)
            {
                StackRowsRule.Route(tape, dy, part, offset);
                offset += part.Value.Length;
            }
        }

        /// <inheritdoc />
        public override IEnumerable<GradientCheck> GradientChecks()
        {
            var rng = new SeededRandom(43);
            yield return new GradientCheck("[1×3; 4×3; 2×3]", [GradientLeaf.Random(rng, TensorShape.Matrix(1, 3)), GradientLeaf.Random(rng, TensorShape.Matrix(4, 3)), GradientLeaf.Random(rng, TensorShape.Matrix(2, 3))],
                (t, v, _) => StackRows(t, [v[0], v[1], v[2]]));
            yield return new GradientCheck("one part repeated (accumulated gradient)", [GradientLeaf.Random(rng, TensorShape.Matrix(2, 2)), GradientLeaf.Random(rng, TensorShape.Matrix(3, 2))],
                (t, v, _) => StackRows(t, [v[0], v[1], v[0]]));
        }
    }

    /// <summary>The gradient rule of <see cref="StackRows(Tape, Variable, Variable)"/>.</summary>
    public sealed class StackRowsRule() : GradientRule<StackRowsRule>("ntl-stack-rows")
    {
        /// <inheritdoc />
        public override void Backward(Tape tape, in TapeEntry entry)
        {
            ArgumentNullException.ThrowIfNull(tape);
            var dy = entry.Output.Grad!;
            Route(tape, dy, entry.A, 0);
            Route(tape, dy, entry.B!, entry.A.Value.Length);
        }

        /// <inheritdoc />
        public override IEnumerable<GradientCheck> GradientChecks()
        {
            var rng = new SeededRandom(41);
            yield return new GradientCheck("[2×3; 4×3]", [GradientLeaf.Random(rng, TensorShape.Matrix(2, 3)), GradientLeaf.Random(rng, TensorShape.Matrix(4, 3))],
                (t, v, _) => StackRows(t, v[0], v[1]));
            yield return new GradientCheck("a stacked on itself (accumulated gradient)", [GradientLeaf.Random(rng, TensorShape.Matrix(3, 2))],
                (t, v, _) => StackRows(t, v[0], v[0]));
        }

        internal static void Route(Tape tape, Tensor dy, Variable input, int offset)
        {
            if (!input.RequiresGrad)
            {
                return;
            }

            var g = tape.GradientFor(input, out var accumulate);
            if (!accumulate)
            {
                tape.Backend.Copy(dy, offset, g, 0, g.Length);
                return;
            }

            using var part = tape.Backend.Allocate(g.Shape);
            tape.Backend.Copy(dy, offset, part, 0, g.Length);
            tape.Backend.Axpy(1f, part, g);
        }
    }
}
