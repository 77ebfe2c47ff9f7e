using Acr.Backends.Cpu.Threading;

namespace Acr.Backends.Tests;

/// <summary>The persistent thread team behind the parallel kernels.</summary>
public sealed class WorkerPoolTests
{
    private unsafe struct Mark : IParallelTask
    {
        public int* Hits;

        public readonly void Execute(int index, int worker) => Interlocked.Increment(ref Hits[index]);
    }

    [Fact]
    public async Task A_run_right_after_construction_is_joined_by_every_worker()
    {
        // Regression: a worker that started after the first Run bumped the generation used to skip that
        // run, and Run waited for it forever. Run it on another thread so a hang fails instead of blocking.
        await Task.Run(RunFreshPools).WaitAsync(TimeSpan.FromSeconds(60));
    }

    private static unsafe void RunFreshPools()
    {
        var hits = new int[7];
        for (var round = 0; round < 300; round++)
        {
            using var pool = new WorkerPool(round % 3 == 0 ? 3 : 2);
            Array.Clear(hits);
            fixed (int* p = hits)
            {
                var task = new Mark { Hits = p };
                pool.Run(ref task, hits.Length);
                pool.Run(ref task, hits.Length);
            }

            Assert.All(hits, h => Assert.Equal(2, h));
        }
    }

    [Fact]
    public async Task Concurrent_pools_on_an_oversubscribed_machine_never_run_a_generation_twice()
    {
        // Regression: with more threads than cores, Run's wake-up pass could be preempted long enough for a
        // worker to join the run by spinning, finish it and fall asleep again; the late release then made it
        // run the same generation twice, the completion count went negative and Run never returned.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        var loops = Enumerable.Range(0, 4).Select(id => Task.Run(() => StressPools(id, deadline))).ToArray();
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(60));
    }

    private static unsafe void StressPools(int seed, DateTime deadline)
    {
        var random = new Random(seed);
        var hits = new int[9];
        while (DateTime.UtcNow < deadline)
        {
            using var pool = new WorkerPool(2 + random.Next(3));
            var runs = 1 + random.Next(6);
            Array.Clear(hits);
            fixed (int* p = hits)
            {
                var task = new Mark { Hits = p };
                for (var r = 0; r < runs; r++)
                {
                    pool.Run(ref task, 1 + random.Next(hits.Length));
                    if (random.Next(3) == 0)
                    {
                        Thread.Sleep(random.Next(4));
                    }
                }
            }
        }
    }

    [Fact]
    public unsafe void Every_task_runs_exactly_once_across_idle_periods()
    {
        using var pool = new WorkerPool(2);
        var hits = new int[1000];
        fixed (int* p = hits)
        {
            var task = new Mark { Hits = p };
            for (var round = 0; round < 5; round++)
            {
                pool.Run(ref task, hits.Length);
                if (round == 2)
                {
                    Thread.Sleep(50); // let the worker fall asleep on its semaphore
                }
            }
        }

        Assert.All(hits, h => Assert.Equal(5, h));
    }

    private struct Throw : IParallelTask
    {
        public readonly void Execute(int index, int worker)
        {
            if (index == 3)
            {
                throw new InvalidOperationException("task 3");
            }
        }
    }

    [Fact]
    public void A_failing_task_surfaces_on_the_caller_and_the_pool_stays_usable()
    {
        using var pool = new WorkerPool(2);
        var task = new Throw();
        Assert.Throws<InvalidOperationException>(() => pool.Run(ref task, 8));
        var ok = new Throw();
        pool.Run(ref ok, 3);
    }
}
