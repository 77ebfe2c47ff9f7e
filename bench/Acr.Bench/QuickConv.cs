using System.Diagnostics;
using System.Globalization;
using Acr.Backends.Cpu;
using Acr.Compute;
using Acr.Tensors;

namespace Acr.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/Acr.Bench -- conv-quick [--threads N] [--images N] [--rounds R]</c>: the image protocol's four
/// convolutions (1×28×28 → 64 stride 2, then 64×14×14, 64×7×7, 64×4×4 → 64 stride 2, all 3×3 padding 1) on a batch of images,
/// forward by im2col + GEMM and by direct loops, interleaved round by round on the same inputs (so machine load hits both alike),
/// plus the two backward passes; prints the median per call and GFLOP/s (2·N·Cout·Ho·Wo·Cin·9 per pass) and the direct/im2col ratio.
/// </summary>
internal static class QuickConv
{
    public static int Run(string[] args)
    {
        var threads = Option(args, "--threads", Environment.ProcessorCount);
        var images = Option(args, "--images", 1920);
        var rounds = Option(args, "--rounds", 5);
        using var gemm = new CpuBackend(threads);
        using var direct = new CpuBackend(threads) { Convolution = CpuBackend.ConvolutionAlgorithm.Direct };
        (int C, int Size)[] layers = [(1, 28), (64, 14), (64, 7), (64, 4)];
        Console.WriteLine($"Acr cpu backend: {threads} threads, SIMD {gemm.Device.Properties["simd"]}, {images} images, {rounds} interleaved rounds");
        Console.WriteLine($"{"layer",-28} {"im2col+GEMM",12} {"direct",12} {"direct/im2col",14} {"bwd input",12} {"bwd params",12}");
        foreach (var (c, size) in layers)
        {
            var xShape = new TensorShape(images, c, size, size);
            var wShape = new TensorShape(64, c, 3, 3);
            var yShape = new Window2d(3, 3, 2, 1).Output(new ImageShape(c, size, size), 64).Batch(images);
            var flops = 2.0 * yShape.Length * c * 9;
            var random = new Random(size);
            float[] Values(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() - 0.5f).ToArray();
            var x = Values(xShape.Length);
            var w = Values(wShape.Length);
            var bias = Values(64);
            var dyValues = Values(yShape.Length);
            var times = new List<double>[4];
            for (var i = 0; i < times.Length; i++)
            {
                times[i] = [];
            }

            using var gx = Upload(gemm, xShape, x);
            using var gw = Upload(gemm, wShape, w);
            using var gb = Upload(gemm, TensorShape.Vector(64), bias);
            using var gy = gemm.Allocate(yShape);
            using var gdy = Upload(gemm, yShape, dyValues);
            using var gdx = gemm.Allocate(xShape);
            using var gdw = gemm.Allocate(wShape);
            using var gdb = gemm.Allocate(TensorShape.Vector(64));
            using var dx = Upload(direct, xShape, x);
            using var dw = Upload(direct, wShape, w);
            using var db = Upload(direct, TensorShape.Vector(64), bias);
            using var dy = direct.Allocate(yShape);
            for (var round = 0; round < rounds; round++)
            {
                times[0].Add(Time(() => gemm.Conv2dForward(gx, gw, gb, 2, 1, gy)));
                times[1].Add(Time(() => direct.Conv2dForward(dx, dw, db, 2, 1, dy)));
                times[2].Add(Time(() => gemm.Conv2dBackwardInput(gdy, gw, 2, 1, gdx, false)));
                times[3].Add(Time(() => gemm.Conv2dBackwardParameters(gx, gdy, 2, 1, gdw, gdb, false)));
            }

            // The two algorithms must agree before their times mean anything.
            var a = gy.ToArray();
            var b = dy.ToArray();
            var worst = a.Zip(b, (p, q) => Math.Abs(p - q) / (1 + Math.Abs(p))).Max();
            if (worst > 1e-4)
            {
                Console.Error.WriteLine($"im2col and direct disagree on {c}×{size}×{size}: relative difference {worst}");
                return 1;
            }

            var m = times.Select(Median).ToArray();
            var name = string.Create(CultureInfo.InvariantCulture, $"{c}×{size}×{size} → 64×{yShape[2]}×{yShape[3]}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-28} {m[0] * 1e3,8:F2} ms {m[1] * 1e3,8:F2} ms {m[1] / m[0],13:F2}x {m[2] * 1e3,8:F2} ms {m[3] * 1e3,8:F2} ms   ({flops / m[0] / 1e9:F1} vs {flops / m[1] / 1e9:F1} GFLOP/s forward)"));
        }

        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static Tensor Upload(ComputeBackend backend, TensorShape shape, float[] values)
    {
        var t = backend.Allocate(shape);
        backend.Upload(values, t);
        return t;
    }

    /// <summary>The best of three calls after one warm-up (CPU kernels run synchronously).</summary>
    private static double Time(Action op)
    {
        op();
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var start = Stopwatch.GetTimestamp();
            op();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return best;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
