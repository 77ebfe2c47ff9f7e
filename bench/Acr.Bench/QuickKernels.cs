using System.Globalization;
using Acr.Backends.Cpu;
using Acr.Compute;
using Acr.Tensors;

namespace Acr.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/Acr.Bench -- kernels-quick [--threads N]</c>: median time and
/// effective bandwidth (bytes each kernel must read and write, over the median time) of the non-GEMM kernels
/// at the training sizes: an 8192×128 batch in 64 segments of 128 rows, and Adam over 1M parameters.
/// </summary>
internal static class QuickKernels
{
    public static int Run(string[] args)
    {
        var threads = args.Length >= 2 && args[0] == "--threads" ? int.Parse(args[1], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        using var backend = new CpuBackend(threads);
        const int n = 8192, c = 128, p = 1 << 20;
        using var segments = BatchSegments.Uniform(backend, 64, 128);
        Tensor Random(params int[] shape)
        {
            var t = backend.Allocate(new TensorShape(shape));
            var random = new Random(t.Length);
            backend.Upload(Enumerable.Range(0, t.Length).Select(_ => random.NextSingle() + 0.5f).ToArray(), t);
            return t;
        }

        using Tensor x = Random(n, c), dy = Random(n, c), y = Random(n, c), dx = Random(n, c);
        using Tensor gamma = Random(c), beta = Random(c), rm = Random(c), rv = Random(c), dg = Random(c), db = Random(c);
        using Tensor mean = Random(64, c), inv = Random(64, c), dist = Random(n), g = Random(n);
        using Tensor param = Random(p), grad = Random(p), m1 = Random(p), m2 = Random(p);
        const double matrix = n * c * 4.0;
        var cases = new (string Name, double Bytes, Action Op)[]
        {
            ("BatchNormForward 8192x128 /64 segs", 2 * matrix, () => backend.BatchNormForward(x, segments, gamma, beta, 1e-5f, Activation.None, y, mean, inv, rm, rv, 0.1f)),
            ("BatchNormBackward 8192x128 /64 segs", 3 * matrix, () => backend.BatchNormBackward(x, dy, segments, gamma, mean, inv, dx, false, dg, db, false)),
            ("BatchNormInference 8192x128", 2 * matrix, () => backend.BatchNormInference(x, gamma, beta, rm, rv, 1e-5f, y)),
            ("AddRowVector 8192x128 in place", 2 * matrix, () => backend.AddRowVector(y, beta, y)),
            ("ColumnSum 8192x128", matrix, () => backend.ColumnSum(dy, db, false)),
            ("Relu 1M", 2 * matrix, () => backend.Relu(x, y)),
            ("ReluBackward 1M", 3 * matrix, () => backend.ReluBackward(y, dy, dx, false)),
            ("Axpy 1M", 3 * matrix, () => backend.Axpy(0.5f, dy, dx)),
            ("RowSquaredDistance 8192x128", matrix, () => backend.RowSquaredDistance(x, beta, dist)),
            ("RowSquaredDistanceBackward 8192x128", 2 * matrix, () => backend.RowSquaredDistanceBackward(x, beta, g, dx, false, dg, false)),
            ("AdamUpdate 1M params", 7 * p * 4.0, () => backend.AdamUpdate(param, grad, m1, m2, new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 3))),
        };
        Console.WriteLine($"Acr cpu backend: {backend.Threads} threads, SIMD {backend.Device.Properties["simd"]}");
        foreach (var (name, bytes, op) in cases)
        {
            var samples = QuickGemm.Sample(op, 50, 0.3);
            var median = samples[samples.Count / 2];
            Console.WriteLine($"{name,-38} {median * 1e6,9:F1} us  {bytes / median / 1e9,7:F1} GB/s");
        }

        return 0;
    }
}
