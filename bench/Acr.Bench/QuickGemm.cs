using System.Diagnostics;
using System.Globalization;
using Acr.Backends.Cpu;
using Acr.Compute;
using Acr.Tensors;

namespace Acr.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/Acr.Bench -- gemm-quick [--threads N] [--min-time S] [--shapes square|training|all] [--no-torch] [--kernel v512|v256|scalar]</c>:
/// a stopwatch harness that prints the median GFLOP/s of the CPU backend's GEMM per shape, then runs
/// <c>bench/torch_gemm.py</c> (torch.mm over OpenBLAS) with the same thread count when torch is importable.
/// </summary>
internal static class QuickGemm
{
    public static int Run(string[] args)
    {
        var threads = Environment.ProcessorCount;
        var minTime = 1.0;
        var shapes = GemmShape.All;
        var torch = true;
        var kernel = CpuBackend.GemmKernel.Auto;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--min-time": minTime = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--shapes":
                    shapes = args[++i] switch { "square" => GemmShape.Square, "training" => GemmShape.Training, _ => GemmShape.All };
                    break;
                case "--no-torch": torch = false; break;
                case "--kernel":
                    kernel = args[++i] switch { "v512" => CpuBackend.GemmKernel.Vector512, "v256" => CpuBackend.GemmKernel.Vector256, "scalar" => CpuBackend.GemmKernel.Scalar, _ => CpuBackend.GemmKernel.Auto };
                    break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }

        using var backend = new CpuBackend(threads, kernel);
        Console.WriteLine($"Acr cpu backend: {backend.Threads} threads, GEMM kernel {backend.ActiveGemmKernel}, SIMD {backend.Device.Properties["simd"]}, {backend.Device.Name}");
        foreach (var shape in shapes)
        {
            var (gflops, median, best, runs) = Measure(backend, shape, minTime);
            Console.WriteLine($"{shape.Name,-10} {shape.M,5}x{shape.N,5}x{shape.K,5}  {gflops,8:F1} GFLOP/s  {median * 1e6,10:F1} us  (best {shape.Flops / best / 1e9:F1} GFLOP/s, {runs} runs)");
        }

        if (torch)
        {
            RunTorch(threads, minTime, shapes == GemmShape.Square ? "square" : shapes == GemmShape.Training ? "training" : "all");
        }

        return 0;
    }

    public static (double GFlops, double Median, double Best, int Runs) Measure(CpuBackend backend, GemmShape shape, double minTime)
    {
        var random = new Random(1234);
        using var a = backend.Allocate(new TensorShape(shape.AShape.Rows, shape.AShape.Columns));
        using var b = backend.Allocate(new TensorShape(shape.BShape.Rows, shape.BShape.Columns));
        using var c = backend.Allocate(new TensorShape(shape.M, shape.N));
        backend.Upload(Enumerable.Range(0, a.Length).Select(_ => (random.NextSingle() * 2) - 1).ToArray(), a);
        backend.Upload(Enumerable.Range(0, b.Length).Select(_ => (random.NextSingle() * 2) - 1).ToArray(), b);
        var samples = Sample(() => backend.Gemm(shape.TransposeA, shape.TransposeB, 1f, a, b, 0f, c), 20, minTime);
        var median = samples[samples.Count / 2];
        return (shape.Flops / median / 1e9, median, samples[0], samples.Count);
    }

    /// <summary>
    /// Runs <paramref name="op"/> 5 times untimed, then times single runs until there are at least
    /// <paramref name="minSamples"/> of them and <paramref name="minSeconds"/> have passed; the times in seconds, sorted.
    /// </summary>
    public static List<double> Sample(Action op, int minSamples, double minSeconds)
    {
        for (var i = 0; i < 5; i++)
        {
            op();
        }

        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (samples.Count < minSamples || total.Elapsed.TotalSeconds < minSeconds)
        {
            var start = Stopwatch.GetTimestamp();
            op();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        samples.Sort();
        return samples;
    }

    private static void RunTorch(int threads, double minTime, string shapes)
    {
        var script = FindScript();
        if (script is null || !File.Exists("/usr/bin/python3"))
        {
            Console.WriteLine("torch: bench/torch_gemm.py or /usr/bin/python3 not found; skipped.");
            return;
        }

        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--threads");
        info.ArgumentList.Add(threads.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--min-time");
        info.ArgumentList.Add(minTime.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--shapes");
        info.ArgumentList.Add(shapes);
        const string openBlas = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
        if (Directory.Exists(openBlas))
        {
            info.Environment["LD_LIBRARY_PATH"] = openBlas;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Console.Write(output);
        if (process.ExitCode != 0)
        {
            Console.WriteLine($"torch: not available ({error.Trim()})");
        }
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "torch_gemm.py");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
