namespace Acr.Backends.Cpu.Ops;

/// <summary>The ACR objective summed in double in a fixed lane order.</summary>
internal sealed unsafe class AcrObjectiveKernel(CpuBackend backend) : CpuKernel<AcrObjectiveOp.Args>(backend, AcrObjectiveOp.Instance)
{
    protected override void Execute(in AcrObjectiveOp.Args a) =>
        Pointer(a.Loss)[0] = Kernels.AcrObjective.Forward(Pointer(a.NormalTerm), Pointer(a.AnomalyTerm), Pointer(a.IsAnomaly), Pointer(a.RowWeight), a.NormalTerm.Length);
}

/// <summary>The ACR objective's backward: each row's weight routed to its term.</summary>
internal sealed unsafe class AcrObjectiveBackwardKernel(CpuBackend backend) : CpuKernel<AcrObjectiveBackwardOp.Args>(backend, AcrObjectiveBackwardOp.Instance)
{
    protected override void Execute(in AcrObjectiveBackwardOp.Args a) =>
        Kernels.AcrObjective.Backward(Pointer(a.IsAnomaly), Pointer(a.RowWeight), Pointer(a.DLoss)[0], Pointer(a.DNormal), Pointer(a.DAnomaly), a.IsAnomaly.Length, a.Accumulate);
}
