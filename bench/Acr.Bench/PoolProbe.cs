using System.Diagnostics;
using Acr.Backends.Cpu.Threading;

namespace Acr.Bench;

/// <summary><c>pool-probe</c>: the cost of one <see cref="WorkerPool.Run{TTask}(ref TTask, int)"/> with trivial tasks.</summary>
internal static class PoolProbe
{
    private struct Spin : IParallelTask
    {
        public int Iterations;

        public readonly void Execute(int index, int worker)
        {
            for (var i = 0; i < Iterations; i++)
            {
                Thread.SpinWait(1);
            }
        }
    }

    public static int Run()
    {
        foreach (var threads in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(threads);
            foreach (var (tasks, work) in new[] { (2, 0), (4, 0), (2, 1000), (4, 1000) })
            {
                var task = new Spin { Iterations = work };
                for (var i = 0; i < 1000; i++)
                {
                    pool.Run(ref task, tasks);
                }

                var samples = new List<double>();
                for (var i = 0; i < 20000; i++)
                {
                    var t = Stopwatch.GetTimestamp();
                    pool.Run(ref task, tasks);
                    samples.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
                }

                samples.Sort();
                Console.WriteLine($"threads={threads} tasks={tasks} spin={work}: median {samples[samples.Count / 2]:F2} us, p90 {samples[samples.Count * 9 / 10]:F2} us, min {samples[0]:F2} us");
            }
        }

        return 0;
    }
}
