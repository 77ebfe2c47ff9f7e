namespace Acr.Backends.Gpu.Ops;

/// <summary><c>acr-objective</c>: one group, fixed-order double tree reduction to the scalar.</summary>
internal sealed class AcrObjectiveKernel(GpuBackend backend) : GpuKernel<AcrObjectiveOp.Args>(backend, AcrObjectiveOp.Instance)
{
    protected override void Execute(in AcrObjectiveOp.Args a)
    {
        var threads = Geometry.ReductionGroupSize;
        var config = new KernelConfig(1, threads);
        Kernels.AcrObjective(Stream, config, F(a.NormalTerm), F(a.AnomalyTerm), F(a.IsAnomaly), F(a.RowWeight), F(a.Loss), a.NormalTerm.Length);
    }
}

/// <summary><c>acr-objective-backward</c>: one grid-stride launch writing both gradients.</summary>
internal sealed class AcrObjectiveBackwardKernel(GpuBackend backend) : GpuKernel<AcrObjectiveBackwardOp.Args>(backend, AcrObjectiveBackwardOp.Instance)
{
    protected override void Execute(in AcrObjectiveBackwardOp.Args a)
    {
        var n = a.IsAnomaly.Length;
        if (n > 0)
        {
            Kernels.AcrObjectiveBackward(Stream, Geometry.Linear(n), F(a.IsAnomaly), F(a.RowWeight), F(a.DLoss), F(a.DNormal), F(a.DAnomaly), n, Flag(a.Accumulate));
        }
    }
}
