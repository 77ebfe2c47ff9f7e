using System.Runtime.ExceptionServices;

namespace Acr.Backends.Cpu.Threading;

/// <summary>
/// A small persistent thread team: <c>threads − 1</c> background workers plus the calling thread.
/// <see cref="Run{TTask}(ref TTask, int)"/> hands out the task indices of one parallel loop and returns as soon as every
/// task has completed. Nothing is allocated per run: the loop body is an unmanaged struct on the caller's
/// stack, reached through a pointer and a static generic trampoline.
/// </summary>
/// <remarks>
/// <para><b>Locality.</b> Each thread has a home range of the task indices, the same contiguous share in
/// every run (thread t of T owns <c>[t·count/T, (t+1)·count/T)</c>), and takes its own tasks first. Kernels
/// number their tasks by rows, so consecutive kernels over the same activations (a GEMM, then the batch norm
/// of its output) touch the same rows on the same core, and the data stays in that core's caches instead of
/// crossing to another core between kernels. A thread that finishes its range steals from the others.</para>
/// <para><b>Determinism.</b> Which thread runs which task varies from run to run, but each task's
/// arithmetic is fixed by the decomposition alone, so results are bit-identical for any thread count.</para>
/// <para><b>Protocol.</b> Each home range has a 64-bit cursor, <c>(generation &lt;&lt; 32) | next index</c>,
/// advanced by compare-and-swap: a claim succeeds only while the cursor still names the run whose body,
/// state and range the claimant read, so a worker that wakes late can never run a task of a finished or a
/// newer run. Run waits for completed tasks, not for workers: a worker the OS has not scheduled (the machine
/// may be busy with other processes) delays nothing unless it holds a task, because the others steal its
/// range. When all tasks are done every cursor is closed before the next run's fields are written. Idle
/// workers spin briefly (kernels come in bursts, e.g. the phases of one GEMM) and then sleep on a semaphore.</para>
/// </remarks>
internal sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>Spin iterations before an idle worker goes to sleep (a few hundred µs to a few ms).</summary>
    private const int SpinIterations = 4000;

    /// <summary>Cursor index of a run whose tasks are all handed out and done.</summary>
    private const long Closed = int.MaxValue;

    /// <summary>Distance between two threads' cursors, in longs: 128 bytes, so no two share a cache line pair.</summary>
    private const int CursorStride = 16;

    /// <summary>Index of the completion counter in its array: 128 bytes from either end.</summary>
    private const int CompletedSlot = 32;

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private readonly Lock _runLock = new();

    // Per thread t: _cursors[t·CursorStride] = (generation << 32) | next index of its home range, which ends
    // before _ends[t]. Written by Run before the generation names the run; claims validate them by CAS.
    private readonly long[] _cursors;
    private readonly int[] _ends;

    // The current run: written by Run before the cursors name it, read by claimants after reading a cursor.
    private delegate*<void*, int, int, void> _body;
    private void* _state;
    private int _generation;

    // Tasks completed in the current run, at _completed[CompletedSlot]: every task increments it, so it
    // sits alone in the middle of its array, away from the run fields claimants read and idle workers poll.
    private readonly int[] _completed = new int[2 * CompletedSlot];
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _error;

    /// <summary>Creates a team of <paramref name="threads"/> threads (the caller counts as one).</summary>
    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        Threads = threads;
        _cursors = new long[threads * CursorStride];
        _ends = new int[threads];
        for (var t = 0; t < threads; t++)
        {
            _cursors[t * CursorStride] = Closed;
        }

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
    /// Thread t of T runs its home range <c>[t·count/T, (t+1)·count/T)</c> first (the caller is thread 0),
    /// then steals from the others. <paramref name="task"/> must be a local of the caller (it is read through its address).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

            // Every cursor is closed, so nobody can claim with the fields written here.
            _body = &Trampoline<TTask>;
            _state = Unsafe.AsPointer(ref task);
            _completed[CompletedSlot] = 0;
            _error = null;
            var generation = unchecked(_generation + 1);
            var threads = Threads;
            for (var t = 0; t < threads; t++)
            {
                _ends[t] = (int)((long)count * (t + 1) / threads);
                Volatile.Write(ref _cursors[t * CursorStride], ((long)generation << 32) | (uint)(int)((long)count * t / threads));
            }

            Volatile.Write(ref _generation, generation);
            WakeSleepers();

            Drain(0);
            var spin = new SpinWait();
            while (Volatile.Read(ref _completed[CompletedSlot]) != count)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            for (var t = 0; t < threads; t++)
            {
                Interlocked.Exchange(ref _cursors[t * CursorStride], ((long)generation << 32) | Closed);
            }

            var error = _error;
            _error = null;
            error?.Throw();
        }
    }

    /// <summary>
    /// <see cref="Run{TTask}(ref TTask, int)"/> when <paramref name="parallel"/> is set; otherwise every task in
    /// order on the calling thread (as worker 0). Each task's arithmetic is fixed by the decomposition, so both
    /// give the same bits: kernels pass their own size threshold as <paramref name="parallel"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run<TTask>(ref TTask task, int count, bool parallel)
        where TTask : unmanaged, IParallelTask
    {
        if (parallel)
        {
            Run(ref task, count);
            return;
        }

        for (var i = 0; i < count; i++)
        {
            task.Execute(i, 0);
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
            Volatile.Write(ref _generation, unchecked(_generation + 1));
            WakeSleepers();
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

    private void WakeSleepers()
    {
        for (var w = 0; w < _threads.Length; w++)
        {
            if (Interlocked.Exchange(ref _sleeping[w], 0) == 1)
            {
                _wake[w].Release();
            }
        }
    }

    /// <summary>Claims and runs tasks of the current run, home range first, then the other ranges in turn, until none is left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Drain(int worker)
    {
        var threads = Threads;
        for (var k = 0; k < threads; k++)
        {
            var owner = worker + k < threads ? worker + k : worker + k - threads;
            ref var cursor = ref _cursors[owner * CursorStride];
            while (true)
            {
                var claim = Volatile.Read(ref cursor);
                var index = (int)(claim & 0xFFFF_FFFF);

                // Read the run's fields after the cursor; the claim below validates that they belong to it.
                var end = Volatile.Read(ref _ends[owner]);
                var body = _body;
                var state = _state;
                if (index >= end)
                {
                    break;
                }

                if (Interlocked.CompareExchange(ref cursor, claim + 1, claim) != claim)
                {
                    continue;
                }

                try
                {
                    body(state, index, worker);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
                }

                Interlocked.Increment(ref _completed[CompletedSlot]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WorkerLoop(int worker)
    {
        var slot = worker - 1;

        // The generation this worker has served. It starts at the pool's initial generation, so a run
        // that began before this thread was first scheduled is still joined.
        var seen = 0;
        while (true)
        {
            // Spin a little: the next parallel phase usually follows within microseconds.
            var spins = 0;
            while (Volatile.Read(ref _generation) == seen && spins < SpinIterations)
            {
                Thread.SpinWait(8);
                spins++;
            }

            // Then sleep until a newer generation. The loop absorbs a late release from a run this worker
            // already served (Run's wake-up pass may reach it after it went back to sleep).
            while (Volatile.Read(ref _generation) == seen)
            {
                // Announce the sleep, then re-check (Dekker-style; every Interlocked op is a full fence).
                Interlocked.Exchange(ref _sleeping[slot], 1);
                if (Volatile.Read(ref _generation) == seen || Interlocked.Exchange(ref _sleeping[slot], 0) == 0)
                {
                    // Either nothing new yet (the next Run releases us), or Run already took our flag
                    // and released the semaphore: consume that release.
                    _wake[slot].Wait();
                }
            }

            seen = Volatile.Read(ref _generation);
            if (_disposed)
            {
                return;
            }

            Drain(worker);
        }
    }
}
