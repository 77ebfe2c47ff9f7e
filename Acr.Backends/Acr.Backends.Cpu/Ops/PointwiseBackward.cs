namespace Acr.Backends.Cpu.Ops;

/// <summary>
/// The kernel of a <see cref="PointwiseBackwardOp{TSelf}"/>: <typeparamref name="TOverwrite"/> (dx = f(y, dy)) on the binary
/// element-wise driver, or <typeparamref name="TAccumulate"/> (dx = dx + f(y, dy)) on the ternary one.
/// </summary>
/// <typeparam name="TOp">The op.</typeparam>
/// <typeparam name="TOverwrite">The overwriting operator.</typeparam>
/// <typeparam name="TAccumulate">The accumulating operator.</typeparam>
internal abstract unsafe class PointwiseBackwardKernel<TOp, TOverwrite, TAccumulate>(CpuBackend backend)
    : CpuKernel<PointwiseBackwardArgs>(backend, ComputeOp<TOp, PointwiseBackwardArgs>.Instance)
    where TOp : PointwiseBackwardOp<TOp>, new()
    where TOverwrite : IBinaryOperator
    where TAccumulate : ITernaryOperator
{
    protected sealed override void Execute(in PointwiseBackwardArgs a)
    {
        float* y = Pointer(a.Y), dy = Pointer(a.Dy), dx = Pointer(a.Dx);
        if (a.Accumulate)
        {
            ElementWiseDriver.Ternary<TAccumulate>(Backend.Pool, y, dy, dx, dx, a.Y.Length);
        }
        else
        {
            ElementWiseDriver.Binary<TOverwrite>(Backend.Pool, y, dy, dx, a.Y.Length);
        }
    }
}
