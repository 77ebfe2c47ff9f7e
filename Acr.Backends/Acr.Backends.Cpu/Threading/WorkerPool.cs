using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Acr.Backends.Cpu.Threading;

/// <summary>
/// A small persistent thread team: <c>threads − 1</c> background workers plus the calling thread.
/// <see cref="Run{TTask}"/> hands out the task indices of one parallel loop through an atomic counter
/// and returns when all are done. Nothing is allocated per run: the loop body is an unmanaged struct on
/// the caller's stack, reached through a pointer and a static generic trampoline.
/// </summary>
/// <remarks>
/// Which thread runs which task varies from run to run, but each task's arithmetic is fixed by the
/// decomposition alone, so results are bit-identical for any thread count. Idle workers spin briefly
/// (kernels come in bursts, e.g. the phases of one GEMM) and then sleep on a semaphore.
/// </remarks>
internal sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>Spin iterations before an idle worker goes to sleep (roughly 50–100 µs).</summary>
    private const int SpinIterations = 4000;

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private readonly Lock _runLock = new();

    // The current run. Written by the caller before the generation bump, read by workers after it.
    private delegate*<void*, int, int, void> _body;
    private void* _state;
    private int _count;
    private int _next;
    private int _active;
    private int _generation;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _error;
    internal readonly int[] DiagState = new int[16];
    internal readonly int[] DiagSeen = new int[16];
    internal readonly System.Collections.Concurrent.ConcurrentQueue<string> DiagLog = new();

    /// <summary>Creates a team of <paramref name="threads"/> threads (the caller counts as one).</summary>
    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        Threads = threads;
        _threads = new Thread[threads - 1];
        _wake = new SemaphoreSlim[threads - 1];
        _sleeping = new int[threads - 1];
        for (var w = 0; w < _threads.Length; w++)
        {
            _wake[w] = new SemaphoreSlim(0);
            var index = w + 1;
            _threads[w] = new Thread(() => WorkerLoop(index))
            {
                IsBackground = true,
                Name = $"acr-cpu-worker-{index}",
            };
            _threads[w].Start();
        }
    }

    /// <summary>Number of threads in the team, the caller included.</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs <c>task.Execute(i, worker)</c> for every <c>i</c> in <c>[0, count)</c> and waits for all.
    /// <paramref name="task"/> must be a local of the caller (it is read through its address).
    /// </summary>
    public void Run<TTask>(ref TTask task, int count)
        where TTask : unmanaged, IParallelTask
    {
        if (count <= 0)
        {
            return;
        }

        if (count == 1 || _threads.Length == 0)
        {
            for (var i = 0; i < count; i++)
            {
                task.Execute(i, 0);
            }

            return;
        }

        lock (_runLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _body = &Trampoline<TTask>;
            _state = Unsafe.AsPointer(ref task);
            _count = count;
            _next = 0;
            _error = null;
            Volatile.Write(ref _active, _threads.Length);
            Interlocked.Increment(ref _generation);
            for (var w = 0; w < _threads.Length; w++)
            {
                if (Interlocked.Exchange(ref _sleeping[w], 0) == 1)
                {
                    _wake[w].Release();
                }
            }

            Drain(0);
            var spin = new SpinWait();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref _active) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                if (watch.ElapsedMilliseconds > 5000)
                {
                    Console.Error.WriteLine(string.Join(" | ", DiagLog));
                    Console.Error.WriteLine($"HANG gen={_generation} active={_active} next={_next} count={_count} sleeping=[{string.Join(",", _sleeping)}] state=[{string.Join(",", DiagState[.._threads.Length])}] seen=[{string.Join(",", DiagSeen[.._threads.Length])}] sem=[{string.Join(",", _wake.Select(x => x.CurrentCount))}]");
                    watch.Restart();
                }
            }

            _body = null;
            _state = null;
            _error?.Throw();
        }
    }

    /// <summary>Stops the workers.</summary>
    public void Dispose()
    {
        lock (_runLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Interlocked.Increment(ref _generation);
            for (var w = 0; w < _threads.Length; w++)
            {
                if (Interlocked.Exchange(ref _sleeping[w], 0) == 1)
                {
                    _wake[w].Release();
                }
            }
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }

        foreach (var wake in _wake)
        {
            wake.Dispose();
        }
    }

    private static void Trampoline<TTask>(void* state, int index, int worker)
        where TTask : unmanaged, IParallelTask => ((TTask*)state)->Execute(index, worker);

    private void Drain(int worker)
    {
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _count)
            {
                _body(_state, i, worker);
            }
        }
        catch (Exception e)
        {
            // Stop handing out tasks and report the first failure to the caller.
            Volatile.Write(ref _next, int.MaxValue / 2);
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
        }
    }

    private void WorkerLoop(int worker)
    {
        var slot = worker - 1;

        // Generation 0 is the pool's state at construction; a Run may already have started before this
        // thread got scheduled, and it must still be joined (reading _generation here would skip it).
        var seen = 0;
        while (true)
        {
            DiagState[slot] = 1; DiagSeen[slot] = seen;
            var spins = 0;
            while (Volatile.Read(ref _generation) == seen && spins < SpinIterations)
            {
                Thread.SpinWait(8);
                spins++;
            }

            if (Volatile.Read(ref _generation) == seen)
            {
                // Announce the sleep, then re-check (Dekker-style; every Interlocked op is a full fence).
                Interlocked.Exchange(ref _sleeping[slot], 1);
                if (Volatile.Read(ref _generation) == seen || Interlocked.Exchange(ref _sleeping[slot], 0) == 0)
                {
                    // Either nothing new yet (the next Run releases us), or Run already took our flag
                    // and released the semaphore: consume that release.
                    DiagState[slot] = 2;
                    _wake[slot].Wait();
                }
            }

            seen = Volatile.Read(ref _generation);
            if (_disposed)
            {
                return;
            }

            DiagState[slot] = 3; DiagSeen[slot] = seen;
            DiagLog.Enqueue($"w{worker} drain seen={seen} gen={_generation} spins={spins} active={_active}");
            Drain(worker);
            DiagState[slot] = 4;
            Interlocked.Decrement(ref _active);
        }
    }
}
