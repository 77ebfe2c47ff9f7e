namespace Acr.Backends.Gpu.Ops;

/// <summary><c>adam-update</c>: one fused launch over the parameter, the bias corrections computed once on the host.</summary>
internal sealed class AdamUpdateKernel(GpuBackend backend) : GpuKernel<AdamUpdateOp.Args>(backend, AdamUpdateOp.Instance)
{
    protected override void Execute(in AdamUpdateOp.Args a)
    {
        var n = a.Parameter.Length;
        if (n == 0)
        {
            return;
        }

        var s = a.Step;
        var constants = new AdamConstants(s.LearningRate, s.Beta1, s.Beta2, s.Epsilon, s.WeightDecay,
            1 - Math.Pow(s.Beta1, s.Step), Math.Sqrt(1 - Math.Pow(s.Beta2, s.Step)));
        Kernels.AdamUpdate(Stream, Geometry.Linear(n), F(a.Parameter), F(a.Gradient), F(a.FirstMoment), F(a.SecondMoment), n, constants);
    }
}
