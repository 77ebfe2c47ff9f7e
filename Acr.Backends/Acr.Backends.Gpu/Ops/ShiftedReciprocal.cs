namespace Acr.Backends.Gpu.Ops;

/// <summary><c>shifted-reciprocal</c>: one grid-stride launch.</summary>
internal sealed class ShiftedReciprocalKernel(GpuBackend backend) : GpuKernel<PointwiseArgs>(backend, ShiftedReciprocalOp.Instance)
{
    protected override void Execute(in PointwiseArgs a)
    {
        var n = a.X.Length;
        if (n > 0)
        {
            Kernels.ShiftedReciprocal(Stream, Geometry.Linear(n), F(a.X), F(a.Y), n, a.Scalar);
        }
    }
}

/// <summary><c>shifted-reciprocal-backward</c>: one grid-stride launch.</summary>
internal sealed class ShiftedReciprocalBackwardKernel(GpuBackend backend) : GpuKernel<PointwiseBackwardArgs>(backend, ShiftedReciprocalBackwardOp.Instance)
{
    protected override void Execute(in PointwiseBackwardArgs a)
    {
        var n = a.Y.Length;
        if (n > 0)
        {
            Kernels.ShiftedReciprocalBackward(Stream, Geometry.Linear(n), F(a.Y), F(a.Dy), F(a.Dx), n, Flag(a.Accumulate));
        }
    }
}
