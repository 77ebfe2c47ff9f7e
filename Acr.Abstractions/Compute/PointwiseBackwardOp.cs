namespace Acr.Compute;

/// <summary>The arguments of a <see cref="PointwiseBackwardOp{TSelf}"/>.</summary>
/// <param name="Y">The forward output.</param>
/// <param name="Dy">Gradient with respect to y.</param>
/// <param name="Dx">Gradient with respect to x.</param>
/// <param name="Accumulate">Add to dx instead of overwriting it.</param>
public readonly record struct PointwiseBackwardArgs(Tensor Y, Tensor Dy, Tensor Dx, bool Accumulate);

/// <summary>
/// The backward of an element-wise function whose derivative is a function of its output:
/// <c>dx[i] = (accumulate ? dx[i] : 0) + Gradient(y[i], dy[i])</c> over tensors of one length (dx must not alias y or dy).
/// The rules, the reference and the samples are written once here; an op gives its <see cref="Gradient"/>.
/// </summary>
/// <typeparam name="TSelf">The op's type.</typeparam>
/// <param name="name">The op's name.</param>
public abstract class PointwiseBackwardOp<TSelf>(string name) : ComputeOp<TSelf, PointwiseBackwardArgs>(name)
    where TSelf : PointwiseBackwardOp<TSelf>, new()
{
    /// <summary>The contribution to dx of one element, in float as a kernel computes it.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient with respect to it.</param>
    protected abstract float Gradient(float y, float dy);

    /// <summary>Half-width and centre of the forward outputs the samples draw (the function's range).</summary>
    protected virtual (float Scale, float Offset) OutputRange => (1f, 0f);

    /// <inheritdoc />
    protected internal sealed override void Validate(OpValidator check, in PointwiseBackwardArgs a)
    {
        check.Floats((a.Y, "y"), (a.Dy, "dy"), (a.Dx, "dx"));
        check.SameLength(a.Dy, a.Y, "dy", "y");
        check.SameLength(a.Dx, a.Y, "dx", "y");
        check.Distinct(a.Dx, a.Y, "dx", "y");
        check.Distinct(a.Dx, a.Dy, "dx", "dy");
    }

    /// <inheritdoc />
    protected internal sealed override void Reference(in PointwiseBackwardArgs a, HostTensors host)
    {
        var y = host.Read(a.Y);
        var dy = host.Read(a.Dy);
        var dx = host.Write(a.Dx);
        for (var i = 0; i < y.Length; i++)
        {
            dx[i] = (a.Accumulate ? dx[i] : 0) + Gradient(y[i], dy[i]);
        }
    }

    /// <summary>Every sweep length, overwriting (dx starts as NaN) and accumulating.</summary>
    protected sealed override IEnumerable<OpSample<PointwiseBackwardArgs>> Samples()
    {
        var (scale, offset) = OutputRange;
        foreach (var n in SampleData.SweepLengths)
        {
            var y = SampleTensor.Vector(SampleData.Uniform(n, n, scale, offset));
            var dy = SampleTensor.Vector(SampleData.Uniform(n, n + 1));
            yield return new OpSample<PointwiseBackwardArgs>($"n={n}", [y, dy, SampleTensor.Vector(SampleData.Filled(n, float.NaN))], t => new(t[0], t[1], t[2], false));
            yield return new OpSample<PointwiseBackwardArgs>($"n={n} accumulate", [y, dy, SampleTensor.Vector(SampleData.Uniform(n, n + 2))], t => new(t[0], t[1], t[2], true));
        }
    }

    /// <summary>The gradient rule of a function with this backward: <c>dx (+)= Gradient(y, dy)</c> from the recorded output.</summary>
    /// <typeparam name="TRule">The rule's type.</typeparam>
    /// <param name="name">The differentiable op's name.</param>
    public abstract class Rule<TRule>(string name) : GradientRule<TRule>(name)
        where TRule : Rule<TRule>, new()
    {
        /// <inheritdoc />
        public sealed override void Backward(Tape tape, in TapeEntry entry)
        {
            ArgumentNullException.ThrowIfNull(tape);
            var dx = tape.GradientFor(entry.A, out var acc);
            tape.Backend.Run(ComputeOp<TSelf, PointwiseBackwardArgs>.Instance, new PointwiseBackwardArgs(entry.Output.Value, entry.Output.Grad!, dx, acc));
        }
    }
}
