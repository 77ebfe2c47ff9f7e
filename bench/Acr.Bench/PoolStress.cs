using Acr.Backends.Cpu;
using Acr.Compute;
using Acr.Tensors;

namespace Acr.Bench;

internal static class PoolStress
{
    public static int Run(int seconds)
    {
        var end = DateTime.UtcNow.AddSeconds(seconds);
        var threads = Enumerable.Range(0, 4).Select(id => new Thread(() =>
        {
            var random = new Random(id);
            var iterations = 0;
            while (DateTime.UtcNow < end)
            {
                using var backend = new CpuBackend(1 + random.Next(4));
                var m = 1 + random.Next(300);
                var n = 1 + random.Next(300);
                var k = 1 + random.Next(600);
                using var a = backend.Allocate(new TensorShape(m, k));
                using var b = backend.Allocate(new TensorShape(k, n));
                using var c = backend.Allocate(new TensorShape(m, n));
                for (var r = 0; r < 1 + random.Next(4); r++)
                {
                    backend.Gemm(false, false, 1f, a, b, 0f, c);
                    if (random.Next(4) == 0)
                    {
                        Thread.Sleep(random.Next(5));
                    }
                }

                using var x = backend.Allocate(new TensorShape(512, 130));
                using var y = backend.Allocate(new TensorShape(512, 130));
                using var g = backend.Allocate(new TensorShape(130));
                using var mu = backend.Allocate(new TensorShape(4, 130));
                using var iv = backend.Allocate(new TensorShape(4, 130));
                backend.BatchNormForward(x, BatchSegments.Uniform(4, 128), g, g, 1e-5f, y, mu, iv, null, null, 0.1f);
                iterations++;
            }

            Console.WriteLine($"thread {id}: {iterations} iterations");
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return 0;
    }
}
