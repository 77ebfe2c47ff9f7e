namespace Acr.Backends.Gpu.Ops;

/// <summary><c>axpy</c>: one grid-stride launch.</summary>
internal sealed class AxpyKernel(GpuBackend backend) : GpuKernel<PointwiseArgs>(backend, AxpyOp.Instance)
{
    protected override void Execute(in PointwiseArgs a)
    {
        var n = a.X.Length;
        if (n > 0)
        {
            Kernels.Axpy(Stream, Geometry.Linear(n), F(a.X), F(a.Y), n, a.Scalar);
        }
    }
}
