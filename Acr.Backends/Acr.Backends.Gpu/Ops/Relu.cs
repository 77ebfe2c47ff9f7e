namespace Acr.Backends.Gpu.Ops;

/// <summary><c>relu</c>: one grid-stride launch.</summary>
internal sealed class ReluKernel(GpuBackend backend) : GpuKernel<PointwiseArgs>(backend, ReluOp.Instance)
{
    protected override void Execute(in PointwiseArgs a)
    {
        var n = a.X.Length;
        if (n > 0)
        {
            Kernels.Relu(Stream, Geometry.Linear(n), F(a.X), F(a.Y), n);
        }
    }
}

/// <summary><c>relu-backward</c>: one grid-stride launch.</summary>
internal sealed class ReluBackwardKernel(GpuBackend backend) : GpuKernel<PointwiseBackwardArgs>(backend, ReluBackwardOp.Instance)
{
    protected override void Execute(in PointwiseBackwardArgs a)
    {
        var n = a.Y.Length;
        if (n > 0)
        {
            Kernels.ReluBackward(Stream, Geometry.Linear(n), F(a.Y), F(a.Dy), F(a.Dx), n, Flag(a.Accumulate));
        }
    }
}
