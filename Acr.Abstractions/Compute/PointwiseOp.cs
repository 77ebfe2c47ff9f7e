namespace Acr.Compute;

/// <summary>The arguments of a <see cref="PointwiseOp{TSelf}"/>.</summary>
/// <param name="X">Input.</param>
/// <param name="Scalar">The op's scalar parameter (unused by ops without one).</param>
/// <param name="Y">Output of x's length; may be x. Read first by ops that accumulate into it.</param>
public readonly record struct PointwiseArgs(Tensor X, float Scalar, Tensor Y);

/// <summary>
/// An element-wise op <c>y[i] = Apply(x[i], y[i], scalar)</c> over two float tensors of one length (y may be x).
/// Validation, the reference and the samples are written once here; an op gives its <see cref="Apply"/>
/// and, where it needs them, its sample inputs and tolerance.
/// </summary>
/// <typeparam name="TSelf">The op's type.</typeparam>
/// <param name="name">The op's name.</param>
public abstract class PointwiseOp<TSelf>(string name) : ComputeOp<TSelf, PointwiseArgs>(name)
    where TSelf : PointwiseOp<TSelf>, new()
{
    /// <summary>The new value of one element, in float as a kernel computes it.</summary>
    /// <param name="x">The input element.</param>
    /// <param name="y">The output element before the op (NaN-filled in samples of ops that do not read it).</param>
    /// <param name="scalar">The op's scalar.</param>
    protected abstract float Apply(float x, float y, float scalar);

    /// <summary>Whether the op reads y (accumulates into it); samples then start y from random values instead of NaN.</summary>
    protected virtual bool ReadsOutput => false;

    /// <summary>The scalar the samples pass.</summary>
    protected virtual float SampleScalar => 0f;

    /// <summary>The samples' relative tolerance (see <see cref="OpSample{TArgs}.Tolerance"/>; 0 asks for equality).</summary>
    protected virtual double SampleTolerance => 1e-5;

    /// <summary>The inputs of the sample of length <paramref name="n"/>.</summary>
    /// <param name="n">The length.</param>
    protected virtual float[] SampleInput(int n) => SampleData.Uniform(n, n);

    /// <inheritdoc />
    protected internal sealed override void Validate(OpValidator check, in PointwiseArgs a)
    {
        check.Floats((a.X, "x"), (a.Y, "y"));
        check.SameLength(a.Y, a.X, "y", "x");
    }

    /// <inheritdoc />
    protected internal sealed override void Reference(in PointwiseArgs a, HostTensors host)
    {
        var x = host.Read(a.X);
        var y = host.Write(a.Y);
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = Apply(x[i], y[i], a.Scalar);
        }
    }

    /// <summary>Every sweep length, out of place and in place.</summary>
    protected sealed override IEnumerable<OpSample<PointwiseArgs>> Samples()
    {
        var s = SampleScalar;
        foreach (var n in SampleData.SweepLengths)
        {
            var x = SampleTensor.Vector(SampleInput(n));
            var y = SampleTensor.Vector(ReadsOutput ? SampleData.Uniform(n, n + 1) : SampleData.Filled(n, float.NaN));
            yield return new OpSample<PointwiseArgs>($"n={n}", [x, y], t => new(t[0], s, t[1])) { Tolerance = SampleTolerance };
            yield return new OpSample<PointwiseArgs>($"n={n} in place", [x], t => new(t[0], s, t[0])) { Tolerance = SampleTolerance };
        }
    }
}
