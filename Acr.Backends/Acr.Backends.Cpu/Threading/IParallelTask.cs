namespace Acr.Backends.Cpu.Threading;

/// <summary>
/// A parallel loop body: task <c>index</c> of a fixed decomposition. Each task must write a region of
/// memory no other task of the same run touches, so the result does not depend on which thread runs it.
/// </summary>
internal interface IParallelTask
{
    /// <summary>Runs task <paramref name="index"/> on worker <paramref name="worker"/> (0 = the calling thread).</summary>
    /// <param name="index">Task index in <c>[0, count)</c>.</param>
    /// <param name="worker">Index of the executing thread in <c>[0, threads)</c>; selects per-thread scratch.</param>
    void Execute(int index, int worker);
}
