namespace Acr.Compute;

/// <summary><c>y[i] = y[i] + alpha · x[i]</c> (unfused: the product is rounded before the add). x and y have one length; y may be x.</summary>
public sealed class AxpyOp() : ComputeOp<AxpyOp, AxpyOp.Args>("axpy")
{
    /// <summary>The arguments.</summary>
    /// <param name="Alpha">Scale of x.</param>
    /// <param name="X">Input.</param>
    /// <param name="Y">Accumulator of the same length.</param>
    public readonly record struct Args(float Alpha, Tensor X, Tensor Y);

    /// <inheritdoc />
    protected internal override void Validate(OpValidator check, in Args a)
    {
        check.Floats((a.X, "x"), (a.Y, "y"));
        check.SameLength(a.Y, a.X, "y", "x");
    }

    /// <inheritdoc />
    protected internal override void Reference(in Args a, HostTensors host)
    {
        var X = host.Read(a.X);
        var Y = host.Write(a.Y);
        for (var i = 0; i < X.Length; i++)
        {
            Y[i] += a.Alpha * X[i];
        }
    }

    /// <inheritdoc />
    protected override IEnumerable<OpSample<Args>> Samples()
    {
        foreach (var n in SampleData.SweepLengths)
        {
            yield return new OpSample<Args>($"n={n}", [SampleTensor.Vector(SampleData.Uniform(n, n)), SampleTensor.Vector(SampleData.Uniform(n, n + 1))], t => new Args(-0.75f, t[0], t[1]));
        }
    }
}

public static partial class BackendOps
{
    extension(ComputeBackend backend)
    {
        /// <summary><c>y = y + alpha · x</c> (see <see cref="AxpyOp"/>).</summary>
        public void Axpy(float alpha, Tensor x, Tensor y) => backend.Run(AxpyOp.Instance, new AxpyOp.Args(alpha, x, y));
    }
}
