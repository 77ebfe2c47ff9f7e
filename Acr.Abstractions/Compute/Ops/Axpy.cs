namespace Acr.Compute;

/// <summary><c>y[i] = y[i] + alpha · x[i]</c>, alpha the scalar (unfused: the product is rounded before the add). x and y have one length; y may be x.</summary>
public sealed class AxpyOp() : PointwiseOp<AxpyOp>("axpy")
{
    /// <inheritdoc />
    protected override float Apply(float x, float y, float scalar) => y + (scalar * x);

    /// <inheritdoc />
    protected override bool ReadsOutput => true;

    /// <inheritdoc />
    protected override float SampleScalar => -0.75f;
}

public static partial class BackendOps
{
    extension(ComputeBackend backend)
    {
        /// <summary><c>y = y + alpha · x</c> (see <see cref="AxpyOp"/>).</summary>
        public void Axpy(float alpha, Tensor x, Tensor y) => backend.Run(AxpyOp.Instance, new PointwiseArgs(x, alpha, y));
    }
}
