namespace Acr.Backends.Cpu;

/// <summary>A CPU kernel as <see cref="CpuBackend"/> discovers it: something that registers itself for its op.</summary>
internal interface ICpuKernel
{
    /// <summary>Adds this kernel to its backend's kernel table.</summary>
    void Register();
}

/// <summary>
/// The CPU kernel of one op: <see cref="Execute"/> runs under the backend's kernel lock on validated
/// arguments. One subclass per op, in <c>Ops/</c>, with a constructor taking the backend; the backend finds
/// them by reflection, so adding an op's kernel touches no central list.
/// </summary>
/// <typeparam name="TArgs">The op's arguments.</typeparam>
/// <param name="backend">The backend this kernel instance serves.</param>
/// <param name="op">The op it implements.</param>
internal abstract class CpuKernel<TArgs>(CpuBackend backend, ComputeOp<TArgs> op) : IKernel<TArgs>, ICpuKernel
    where TArgs : struct
{
    /// <summary>The backend.</summary>
    protected CpuBackend Backend { get; } = backend;

    /// <summary>The op.</summary>
    public ComputeOp<TArgs> Op { get; } = op;

    /// <inheritdoc />
    public void Register() => Backend.AddKernel(Op, this);

    /// <inheritdoc />
    public void Run(in TArgs args)
    {
        lock (Backend.KernelLock)
        {
            Backend.EnsureUsable();
            Execute(args);
        }
    }

    /// <summary>Runs the op; the arguments are validated and the kernel lock is held.</summary>
    /// <param name="args">The arguments.</param>
    protected abstract void Execute(in TArgs args);
}
