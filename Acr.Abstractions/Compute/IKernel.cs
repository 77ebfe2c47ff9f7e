namespace Acr.Compute;

/// <summary>
/// One backend's implementation of one <see cref="ComputeOp{TArgs}"/>. <see cref="ComputeBackend.Run{TArgs}"/>
/// calls it after the op has validated the arguments, so a kernel never re-checks them.
/// </summary>
/// <typeparam name="TArgs">The op's arguments.</typeparam>
public interface IKernel<TArgs>
    where TArgs : struct
{
    /// <summary>Enqueues (or runs) the op on validated arguments.</summary>
    /// <param name="args">The arguments.</param>
    void Run(in TArgs args);
}
