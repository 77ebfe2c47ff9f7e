using System.Diagnostics;
using Acr.Tensors;

namespace Acr.Host.Benchmarks;

/// <summary>
/// Per-kernel timings through the compute contract, on any backend (<c>acr bench --kernels</c>): the GEMMs of the
/// letter protocol's training step (8192 rows, 16 → 128 → 128 features; the weight gradients reduce over the 8192 rows),
/// a large square SGEMM, and the reductions and batch norms over 8192 rows in 32 segments of 256. Each figure is the
/// median over a few batches of back-to-back calls followed by one <see cref="ComputeBackend.Synchronize"/>, so a
/// device backend's launch overhead is included but its host synchronisation is amortised.
/// </summary>
public sealed class KernelWorkload : IDisposable
{
    /// <summary>Rows of the training-shaped cases (32 tasks × 256 rows).</summary>
    public const int Rows = 8192;

    /// <summary>Channels of the training-shaped cases (the hidden width).</summary>
    public const int Channels = 128;

    /// <summary>Segments of the batch-norm cases.</summary>
    public const int Segments = 32;

    private readonly ComputeBackend _backend;
    private readonly List<Tensor> _tensors = [];
    private readonly BatchSegments _segments;
    private readonly List<(string Name, string Shape, double Flops, double Bytes, Action Run)> _cases = [];

    /// <summary>Allocates the inputs on <paramref name="backend"/>.</summary>
    /// <param name="backend">The backend to measure.</param>
    /// <param name="squareGemm">Side of the square SGEMM case (0 leaves it out).</param>
    public KernelWorkload(ComputeBackend backend, int squareGemm = 4096)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegative(squareGemm);
        _backend = backend;
        const int n = Rows, c = Channels, f = 16;
        var random = new Random(12345);
        Tensor T(params int[] shape)
        {
            var t = backend.Allocate(new TensorShape(shape));
            var values = new float[t.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (random.NextSingle() * 2) - 1;
            }

            backend.Upload(values, t);
            _tensors.Add(t);
            return t;
        }

        _segments = BatchSegments.Uniform(backend, Segments, n / Segments);
        Tensor x16 = T(n, f), x = T(n, c), dy = T(n, c), y = T(n, c), dx = T(n, c);
        Tensor w16 = T(c, f), w = T(c, c), bias = T(c), dw = T(c, c), dw16 = T(c, f);
        Tensor gamma = T(c), beta = T(c), rm = T(c), rv = T(c), dg = T(c), db = T(c), column = T(c);
        Tensor mean = T(Segments, c), inv = T(Segments, c), distance = T(n), dDistance = T(n), m1 = T(c, c), m2 = T(c, c);
        backend.Fill(rv, 1f);
        backend.Fill(m2, 0.5f);
        const double matrix = (double)n * c * 4;
        void Add(string name, string shape, double flops, double bytes, Action run) => _cases.Add((name, shape, flops, bytes, run));
        Add("linear", $"{n}x{f} -> {c}", 2.0 * n * c * f, 0, () => backend.Linear(x16, w16, bias, y));
        Add("linear", $"{n}x{c} -> {c}", 2.0 * n * c * c, 0, () => backend.Linear(x, w, bias, y));
        Add("gemm NN (dx)", $"{n}x{c}x{c}", 2.0 * n * c * c, 0, () => backend.Gemm(false, false, 1f, dy, w, 0f, dx));
        Add("gemm TN (dW)", $"{c}x{c}, K {n}", 2.0 * n * c * c, 0, () => backend.Gemm(true, false, 1f, dy, x, 0f, dw));
        Add("gemm TN (dW first layer)", $"{c}x{f}, K {n}", 2.0 * n * c * f, 0, () => backend.Gemm(true, false, 1f, dy, x16, 0f, dw16));
        Add("column-sum", $"{n}x{c}", 0, matrix, () => backend.ColumnSum(dy, column, false));
        Add("batch-norm-forward + relu", $"{n}x{c} / {Segments}", 0, 2 * matrix, () => backend.BatchNormForward(x, _segments, gamma, beta, 1e-5f, Activation.Relu, y, mean, inv, rm, rv, 0.1f));
        Add("batch-norm-backward", $"{n}x{c} / {Segments}", 0, 3 * matrix, () => backend.BatchNormBackward(x, dy, _segments, gamma, mean, inv, dx, false, dg, db, false));
        Add("row-squared-distance", $"{n}x{c}", 0, matrix, () => backend.RowSquaredDistance(x, column, distance));
        Add("row-squared-distance-backward", $"{n}x{c}", 0, 2 * matrix, () => backend.RowSquaredDistanceBackward(x, column, dDistance, dx, false, db, false));
        Add("relu", $"{n}x{c}", 0, 2 * matrix, () => backend.Relu(x, y));
        Add("adam-update", $"{c}x{c}", 0, 7.0 * c * c * 4, () => backend.AdamUpdate(w, dw, m1, m2, new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 3)));
        if (squareGemm > 0)
        {
            var s = squareGemm;
            Tensor a = T(s, s), b = T(s, s), product = T(s, s);
            Add("gemm NN (square)", $"{s}x{s}x{s}", 2.0 * s * s * s, 0, () => backend.Gemm(false, false, 1f, a, b, 0f, product));
        }
    }

    /// <summary>Times every case (at least <paramref name="minSeconds"/> of calls each, after a warm-up).</summary>
    /// <param name="minSeconds">Timed seconds per case (at least 3 batches are timed whatever it is).</param>
    public IReadOnlyList<KernelTiming> Measure(double minSeconds = 0.5)
    {
        var results = new List<KernelTiming>();
        foreach (var (name, shape, flops, bytes, run) in _cases)
        {
            run();
            _backend.Synchronize();
            var clock = Stopwatch.StartNew();
            run();
            _backend.Synchronize();
            var single = clock.Elapsed.TotalSeconds;
            // Calls per batch: about a tenth of the time budget, so launch overhead is amortised but the batches stay short.
            var perBatch = (int)Math.Clamp(minSeconds / 10 / Math.Max(single, 1e-7), 1, 1000);
            var samples = new List<double>();
            var total = Stopwatch.StartNew();
            while (samples.Count < 3 || total.Elapsed.TotalSeconds < minSeconds)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < perBatch; i++)
                {
                    run();
                }

                _backend.Synchronize();
                samples.Add(Stopwatch.GetElapsedTime(start).TotalSeconds / perBatch);
            }

            samples.Sort();
            var median = samples[samples.Count / 2];
            results.Add(new KernelTiming(name, shape, median * 1e6, flops > 0 ? flops / median / 1e9 : null, bytes > 0 ? bytes / median / 1e9 : null));
        }

        return results;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _segments.Dispose();
        foreach (var t in _tensors)
        {
            t.Dispose();
        }
    }
}

/// <summary>One case of <see cref="KernelWorkload"/>.</summary>
/// <param name="Name">The op (and which use of it).</param>
/// <param name="Shape">Its shape.</param>
/// <param name="MicrosecondsMedian">Median time per call, µs.</param>
/// <param name="GigaflopsPerSecond">2·M·N·K over the time, for the GEMMs.</param>
/// <param name="GigabytesPerSecond">Bytes the op must read and write over the time, for the others.</param>
public sealed record KernelTiming(string Name, string Shape, double MicrosecondsMedian, double? GigaflopsPerSecond, double? GigabytesPerSecond)
{
    /// <summary>Rows per second, for the scoring case.</summary>
    public double? RowsPerSecond { get; init; }
}
