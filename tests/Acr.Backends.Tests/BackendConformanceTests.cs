using Acr.Compute;
using Acr.Tensors;
using Acr.Testing;

namespace Acr.Backends.Tests;

/// <summary>
/// The backend-agnostic conformance suite: every <see cref="IComputeBackend"/> method is checked against
/// <see cref="ReferenceBackend"/> (the contract written as scalar code with double accumulation). It depends
/// on <see cref="IComputeBackend"/> only; a backend subclasses it with a factory.
/// </summary>
/// <remarks>
/// Tolerances (stated per check): element-wise results and reductions must satisfy
/// <c>|mine − ref| ≤ <see cref="Tolerance"/>·(1 + |ref|)</c> (1e-5 by default: a float kernel with double
/// or careful accumulation lands within a few ulps of the double reference). GEMM uses the forward-error
/// bound of a length-K float dot product: <c>|mine − ref| ≤ (K + 4)·2⁻²³·(|α|·|A|·|B| + |β|·|C|)</c> per element.
/// </remarks>
public abstract class BackendConformanceTests : IDisposable
{
    private readonly List<Tensor> _tensors = [];

    /// <summary>Creates the suite over backends made by <paramref name="factory"/> (one per test).</summary>
    protected BackendConformanceTests(Func<IComputeBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Backend = factory();
    }

    /// <summary>The backend under test.</summary>
    protected IComputeBackend Backend { get; }

    /// <summary>The scalar reference.</summary>
    protected ReferenceBackend Reference { get; } = new();

    /// <summary>Relative tolerance of element-wise and reduction results (see the class remarks).</summary>
    protected virtual double Tolerance => 1e-5;

    /// <summary>Lengths 1..257 (every vector width and tail) plus two lengths large enough for parallel paths.</summary>
    public static IEnumerable<int> SweepLengths => Enumerable.Range(1, 257).Concat([140_001, 300_000]);

    public void Dispose()
    {
        foreach (var t in _tensors)
        {
            t.Dispose();
        }

        Backend.Dispose();
        GC.SuppressFinalize(this);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Runs <paramref name="op"/> on both backends over tensors made from the same data and compares every tensor afterwards.</summary>
    protected void Compare(string what, TensorShape[] shapes, float[][] data, Action<IComputeBackend, Tensor[]> op, double? tolerance = null)
    {
        var mine = new Tensor[shapes.Length];
        var reference = new Tensor[shapes.Length];
        for (var i = 0; i < shapes.Length; i++)
        {
            mine[i] = Track(TestData.Tensor(Backend, shapes[i], data[i]));
            reference[i] = TestData.Tensor(Reference, shapes[i], data[i]);
        }

        op(Reference, reference);
        op(Backend, mine);
        for (var i = 0; i < shapes.Length; i++)
        {
            TestData.AssertClose(reference[i].ToArray(), mine[i].ToArray(), tolerance ?? Tolerance, $"{what}, tensor {i} {shapes[i]}");
        }
    }

    protected Tensor Track(Tensor t)
    {
        _tensors.Add(t);
        return t;
    }

    protected Tensor Mine(TensorShape shape, float[] values) => Track(TestData.Tensor(Backend, shape, values));

    protected Tensor Mine(params int[] shape) => Track(Backend.Allocate(new TensorShape(shape)));

    private static float[] Filled(int n, float value) => Enumerable.Repeat(value, n).ToArray();

    private static TensorShape V(int n) => TensorShape.Vector(n);

    private static TensorShape M(int r, int c) => TensorShape.Matrix(r, c);

    // ------------------------------------------------------------------ memory

    [Fact]
    public void Allocate_returns_zeros_with_the_requested_shape()
    {
        foreach (var shape in new[] { V(1), M(3, 5), new TensorShape(2, 3, 4), TensorShape.Scalar, V(1000) })
        {
            var t = Mine(shape.ToArray());
            Assert.Equal(shape, t.Shape);
            Assert.Same(Backend, t.Backend);
            Assert.All(t.ToArray(), v => Assert.Equal(0f, v));
            Backend.Fill(t, 3f);
            t.Dispose();
            var again = Mine(shape.ToArray());
            Assert.All(again.ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void Upload_download_fill_and_copy_round_trip()
    {
        foreach (var n in SweepLengths)
        {
            var data = TestData.Random(n, n);
            var a = Mine(V(n), data);
            Assert.Equal(data, a.ToArray());
            var b = Mine(n);
            Backend.Copy(a, b);
            Assert.Equal(data, b.ToArray());
            Backend.Fill(b, -2.5f);
            Assert.All(b.ToArray(), v => Assert.Equal(-2.5f, v));
            a.Dispose();
            b.Dispose();
        }

        // Copy needs equal lengths, not equal shapes.
        var m = Mine(M(3, 4), TestData.Random(12, 1));
        var flat = Mine(12);
        Backend.Copy(m, flat);
        Assert.Equal(m.ToArray(), flat.ToArray());
    }

    // ------------------------------------------------------------------ element-wise

    [Fact]
    public void Relu_matches_reference_for_every_length_including_NaN_and_in_place()
    {
        foreach (var n in SweepLengths)
        {
            var x = TestData.Random(n, n);
            for (var i = 5; i < n; i += 13)
            {
                x[i] = float.NaN;
            }

            if (n > 3)
            {
                x[1] = -0f;
                x[2] = float.PositiveInfinity;
                x[3] = float.NegativeInfinity;
            }

            Compare($"Relu n={n}", [V(n), V(n)], [x, Filled(n, float.NaN)], (b, t) => b.Relu(t[0], t[1]), 0);
            Compare($"Relu in place n={n}", [V(n)], [x], (b, t) => b.Relu(t[0], t[0]), 0);
        }
    }

    [Fact]
    public void ReluBackward_matches_reference_for_every_length_overwrite_and_accumulate()
    {
        foreach (var n in SweepLengths)
        {
            var y = TestData.Random(n, n);
            var dy = TestData.Random(n, n + 1);
            var dx = TestData.Random(n, n + 2);
            Compare($"ReluBackward n={n}", [V(n), V(n), V(n)], [y, dy, Filled(n, float.NaN)], (b, t) => b.ReluBackward(t[0], t[1], t[2], false));
            Compare($"ReluBackward acc n={n}", [V(n), V(n), V(n)], [y, dy, dx], (b, t) => b.ReluBackward(t[0], t[1], t[2], true));
        }
    }

    [Fact]
    public void Axpy_matches_reference_for_every_length()
    {
        foreach (var n in SweepLengths)
        {
            Compare($"Axpy n={n}", [V(n), V(n)], [TestData.Random(n, n), TestData.Random(n, n + 1)], (b, t) => b.Axpy(-0.75f, t[0], t[1]));
        }
    }

    [Fact]
    public void ShiftedReciprocal_matches_reference_for_every_length_and_in_place()
    {
        foreach (var n in SweepLengths)
        {
            var x = TestData.Random(n, n, 1f, 1f);
            if (n > 2)
            {
                x[1] = 0;
            }

            Compare($"ShiftedReciprocal n={n}", [V(n), V(n)], [x, Filled(n, float.NaN)], (b, t) => b.ShiftedReciprocal(t[0], 1e-3f, t[1]));
            Compare($"ShiftedReciprocal in place n={n}", [V(n)], [x], (b, t) => b.ShiftedReciprocal(t[0], 1e-3f, t[0]));
        }
    }

    [Fact]
    public void ShiftedReciprocalBackward_matches_reference_for_every_length_overwrite_and_accumulate()
    {
        foreach (var n in SweepLengths)
        {
            var y = TestData.Random(n, n, 2f, 2.5f);
            var dy = TestData.Random(n, n + 1);
            var dx = TestData.Random(n, n + 2);
            Compare($"ShiftedReciprocalBackward n={n}", [V(n), V(n), V(n)], [y, dy, Filled(n, float.NaN)], (b, t) => b.ShiftedReciprocalBackward(t[0], t[1], t[2], false));
            Compare($"ShiftedReciprocalBackward acc n={n}", [V(n), V(n), V(n)], [y, dy, dx], (b, t) => b.ShiftedReciprocalBackward(t[0], t[1], t[2], true));
        }
    }

    public static TheoryData<int, int> RowShapes => new()
    {
        { 1, 1 }, { 1, 17 }, { 3, 5 }, { 7, 16 }, { 5, 33 }, { 64, 64 }, { 33, 257 }, { 700, 3 }, { 1030, 17 }, { 1100, 130 }, { 2000, 131 },
    };

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void AddRowVector_matches_reference_out_of_place_and_in_place(int rows, int columns)
    {
        var x = TestData.Random(rows * columns, rows);
        var v = TestData.Random(columns, columns);
        Compare("AddRowVector", [M(rows, columns), V(columns), M(rows, columns)], [x, v, Filled(rows * columns, float.NaN)], (b, t) => b.AddRowVector(t[0], t[1], t[2]));
        Compare("AddRowVector in place", [M(rows, columns), V(columns)], [x, v], (b, t) => b.AddRowVector(t[0], t[1], t[0]));
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void ColumnSum_matches_reference_overwrite_and_accumulate(int rows, int columns)
    {
        var x = TestData.Random(rows * columns, rows, 1f, 0.5f);
        Compare("ColumnSum", [M(rows, columns), V(columns)], [x, Filled(columns, float.NaN)], (b, t) => b.ColumnSum(t[0], t[1], false));
        Compare("ColumnSum acc", [M(rows, columns), V(columns)], [x, TestData.Random(columns, 3)], (b, t) => b.ColumnSum(t[0], t[1], true));
    }

    // ------------------------------------------------------------------ GEMM

    public static TheoryData<bool, bool> Transposes => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    /// <summary>Odd sizes, vector-width edges (17, 33, 63–65, 127–129, 257), non-square shapes, K beyond one K block, M beyond one M block.</summary>
    private static readonly (int M, int N, int K)[] GemmShapes =
    [
        (1, 1, 1), (1, 17, 3), (17, 1, 5), (3, 5, 1), (2, 2, 2), (7, 9, 13), (8, 32, 16), (16, 48, 64), (17, 33, 63),
        (33, 17, 65), (63, 64, 65), (64, 64, 64), (65, 63, 64), (127, 129, 17), (129, 127, 33), (1, 257, 129),
        (257, 1, 64), (33, 257, 65), (257, 33, 129), (257, 257, 257), (9, 300, 520), (300, 40, 600), (130, 70, 1000),
        (600, 33, 7), (512, 16, 128),
    ];

    private static readonly (float Alpha, float Beta)[] Scales = [(1f, 0f), (1f, 1f), (-0.5f, 2f), (2f, 0.25f)];

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Gemm_matches_reference_for_every_shape_and_scale(bool transposeA, bool transposeB)
    {
        for (var s = 0; s < GemmShapes.Length; s++)
        {
            var (m, n, k) = GemmShapes[s];
            var (alpha, beta) = Scales[s % Scales.Length];
            CheckGemm(transposeA, transposeB, m, n, k, alpha, beta, s);
            if (beta != 0)
            {
                CheckGemm(transposeA, transposeB, m, n, k, alpha, 0f, s + 100);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Gemm_with_beta_zero_never_reads_C(bool transposeA, bool transposeB)
    {
        foreach (var (m, n, k) in new[] { (1, 1, 1), (17, 33, 63), (129, 65, 257), (300, 40, 600) })
        {
            var a = Mine(transposeA ? M(k, m) : M(m, k), TestData.Random(m * k, 1));
            var b = Mine(transposeB ? M(n, k) : M(k, n), TestData.Random(k * n, 2));
            var c = Mine(M(m, n), Filled(m * n, float.NaN));
            Backend.Gemm(transposeA, transposeB, 1f, a, b, 0f, c);
            Assert.All(c.ToArray(), v => Assert.False(float.IsNaN(v), "beta = 0 must not read C"));
        }
    }

    /// <summary>Compares one GEMM with the per-element bound <c>(K + 4)·2⁻²³·(|α|·|A|·|B| + |β|·|C|)</c>.</summary>
    protected void CheckGemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float beta, int seed)
    {
        var aShape = transposeA ? M(k, m) : M(m, k);
        var bShape = transposeB ? M(n, k) : M(k, n);
        float[] a = TestData.Random(m * k, seed), b = TestData.Random(k * n, seed + 1), c = TestData.Random(m * n, seed + 2);
        var ra = TestData.Tensor(Reference, aShape, a);
        var rb = TestData.Tensor(Reference, bShape, b);
        var rc = TestData.Tensor(Reference, M(m, n), c);
        Reference.Gemm(transposeA, transposeB, alpha, ra, rb, beta, rc);
        var magnitude = TestData.Tensor(Reference, M(m, n), c.Select(Math.Abs).ToArray());
        Reference.Gemm(transposeA, transposeB, Math.Abs(alpha), TestData.Tensor(Reference, aShape, a.Select(Math.Abs).ToArray()),
            TestData.Tensor(Reference, bShape, b.Select(Math.Abs).ToArray()), Math.Abs(beta), magnitude);

        var mc = Mine(M(m, n), c);
        Backend.Gemm(transposeA, transposeB, alpha, Mine(aShape, a), Mine(bShape, b), beta, mc);
        float[] expected = rc.ToArray(), actual = mc.ToArray(), bound = magnitude.ToArray();
        for (var i = 0; i < expected.Length; i++)
        {
            var tolerance = (k + 4) * Math.Pow(2, -23) * bound[i];
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance))
            {
                Assert.Fail($"Gemm(transA={transposeA}, transB={transposeB}, M={m}, N={n}, K={k}, alpha={alpha}, beta={beta}): " +
                    $"C[{i / n}, {i % n}] = {actual[i]}, expected {expected[i]} (tolerance {tolerance}).");
            }
        }
    }

    [Fact]
    public void Linear_matches_reference_with_and_without_bias_and_never_reads_y()
    {
        for (var s = 0; s < GemmShapes.Length; s++)
        {
            var (rows, outputs, inputs) = GemmShapes[s];
            var x = TestData.Random(rows * inputs, s);
            var w = TestData.Random(outputs * inputs, s + 1);
            var bias = TestData.Random(outputs, s + 2);
            var garbage = Filled(rows * outputs, float.NaN);
            var tolerance = (inputs + 5) * Math.Pow(2, -23) * 4;
            Compare($"Linear {rows}×{inputs}→{outputs}", [M(rows, inputs), M(outputs, inputs), V(outputs), M(rows, outputs)], [x, w, bias, garbage],
                (b, t) => b.Linear(t[0], t[1], t[2], t[3]), tolerance);
            Compare($"Linear without bias {rows}×{inputs}→{outputs}", [M(rows, inputs), M(outputs, inputs), M(rows, outputs)], [x, w, garbage],
                (b, t) => b.Linear(t[0], t[1], null, t[2]), tolerance);
        }
    }

    [Fact]
    public void Linear_is_bit_identical_to_gemm_then_add_row_vector()
    {
        foreach (var (rows, outputs, inputs) in new[] { (1, 1, 1), (17, 33, 63), (1000, 128, 16), (257, 129, 257), (300, 40, 600), (130, 70, 1000), (9, 300, 520) })
        {
            var x = Mine(M(rows, inputs), TestData.Random(rows * inputs, rows));
            var w = Mine(M(outputs, inputs), TestData.Random(outputs * inputs, outputs));
            var bias = Mine(V(outputs), TestData.Random(outputs, inputs));
            var fused = Mine(rows, outputs);
            var unfused = Mine(rows, outputs);
            Backend.Linear(x, w, bias, fused);
            Backend.Gemm(false, true, 1f, x, w, 0f, unfused);
            Backend.AddRowVector(unfused, bias, unfused);
            Assert.Equal(unfused.ToArray(), fused.ToArray());
        }
    }

    [Fact]
    public void Linear_shape_mismatches_throw_ArgumentException()
    {
        var x = Mine(4, 3);
        Assert.Throws<ArgumentException>(() => Backend.Linear(x, Mine(5, 2), null, Mine(4, 5)));
        Assert.Throws<ArgumentException>(() => Backend.Linear(x, Mine(5, 3), Mine(4), Mine(4, 5)));
        Assert.Throws<ArgumentException>(() => Backend.Linear(x, Mine(5, 3), null, Mine(4, 4)));
    }

    // ------------------------------------------------------------------ batch norm

    public static TheoryData<string> SegmentLayouts => new() { "whole-2", "whole-300", "uniform-4x2", "uniform-3x64", "ragged", "uniform-8x128" };

    private static BatchSegments Layout(string name) => name switch
    {
        "whole-2" => BatchSegments.Whole(2),
        "whole-300" => BatchSegments.Whole(300),
        "uniform-4x2" => BatchSegments.Uniform(4, 2),
        "uniform-3x64" => BatchSegments.Uniform(3, 64),
        "ragged" => BatchSegments.FromLengths([2, 3, 7, 130, 2, 33]),
        "uniform-8x128" => BatchSegments.Uniform(8, 128),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static readonly int[] ChannelCounts = [1, 3, 16, 17, 64, 65, 130];

    /// <summary>Input (offset 3, spread 2), γ in [0.5, 1.5], β, running mean and running variance for an n×c batch norm.</summary>
    private static (float[] X, float[] Gamma, float[] Beta, float[] RunningMean, float[] RunningVariance) BatchNormData(int n, int c) =>
        (TestData.Random(n * c, c, 2f, 3f), TestData.Random(c, c + 1, 0.5f, 1f), TestData.Random(c, c + 2),
         TestData.Random(c, c + 3), TestData.Random(c, c + 4, 0.5f, 1f));

    [Theory]
    [MemberData(nameof(SegmentLayouts))]
    public void BatchNormForward_matches_reference_with_and_without_running_statistics(string layout)
    {
        var segments = Layout(layout);
        foreach (var c in ChannelCounts)
        {
            var n = segments.TotalRows;
            var s = segments.Count;
            var (x, gamma, beta, runningMean, runningVariance) = BatchNormData(n, c);
            var garbage = Filled(n * c, float.NaN);
            Compare($"BatchNormForward {layout} C={c}", [M(n, c), V(c), V(c), M(n, c), M(s, c), M(s, c), V(c), V(c)],
                [x, gamma, beta, garbage, Filled(s * c, float.NaN), Filled(s * c, float.NaN), runningMean, runningVariance],
                (b, t) => b.BatchNormForward(t[0], segments, t[1], t[2], 1e-5f, t[3], t[4], t[5], t[6], t[7], 0.1f));
            Compare($"BatchNormForward no running stats {layout} C={c}", [M(n, c), V(c), V(c), M(n, c), M(s, c), M(s, c)],
                [x, gamma, beta, garbage, Filled(s * c, float.NaN), Filled(s * c, float.NaN)],
                (b, t) => b.BatchNormForward(t[0], segments, t[1], t[2], 1e-3f, t[3], t[4], t[5], null, null, 0.1f));
        }
    }

    [Theory]
    [MemberData(nameof(SegmentLayouts))]
    public void BatchNormForward_with_relu_matches_reference_and_equals_the_unfused_ops_bit_for_bit(string layout)
    {
        var segments = Layout(layout);
        foreach (var c in ChannelCounts)
        {
            var n = segments.TotalRows;
            var s = segments.Count;
            var (x, gamma, beta, runningMean, runningVariance) = BatchNormData(n, c);
            Compare($"BatchNormForward+ReLU {layout} C={c}", [M(n, c), V(c), V(c), M(n, c), M(s, c), M(s, c), V(c), V(c)],
                [x, gamma, beta, Filled(n * c, float.NaN), Filled(s * c, float.NaN), Filled(s * c, float.NaN), runningMean, runningVariance],
                (b, t) => b.BatchNormForward(t[0], segments, t[1], t[2], 1e-5f, Activation.Relu, t[3], t[4], t[5], t[6], t[7], 0.1f));

            Tensor[] Run(Activation activation)
            {
                var outputs = new[] { Mine(n, c), Mine(s, c), Mine(s, c), Mine(V(c), runningMean), Mine(V(c), runningVariance) };
                Backend.BatchNormForward(Mine(M(n, c), x), segments, Mine(V(c), gamma), Mine(V(c), beta), 1e-5f, activation,
                    outputs[0], outputs[1], outputs[2], outputs[3], outputs[4], 0.1f);
                if (activation == Activation.None)
                {
                    Backend.Relu(outputs[0], outputs[0]);
                }

                return outputs;
            }

            var fused = Run(Activation.Relu);
            var unfused = Run(Activation.None);
            for (var i = 0; i < fused.Length; i++)
            {
                Assert.Equal(unfused[i].ToArray(), fused[i].ToArray());
            }
        }
    }

    [Fact]
    public void BatchNormForward_with_no_channels_writes_nothing_and_does_not_throw()
    {
        foreach (var activation in new[] { Activation.None, Activation.Relu })
        {
            Backend.BatchNormForward(Mine(4, 0), BatchSegments.FromLengths([2, 2]), Mine(0), Mine(0), 1e-5f, activation,
                Mine(4, 0), Mine(2, 0), Mine(2, 0), Mine(0), Mine(0), 0.1f);
        }
    }

    [Fact]
    public void BatchNormForward_rejects_an_unknown_activation()
    {
        var e = Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(Mine(4, 2), BatchSegments.Whole(4), Mine(2), Mine(2), 1e-5f,
            (Activation)7, Mine(4, 2), Mine(1, 2), Mine(1, 2), null, null, 0.1f));
        Assert.Contains("activation", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(SegmentLayouts))]
    public void BatchNormBackward_matches_reference_overwrite_and_accumulate(string layout)
    {
        var segments = Layout(layout);
        foreach (var c in ChannelCounts)
        {
            var n = segments.TotalRows;
            var s = segments.Count;
            var x = TestData.Random(n * c, c, 2f, 3f);
            var gamma = TestData.Random(c, c + 1, 0.5f, 1f);

            // The forward statistics come from the reference, so both backends see identical inputs.
            var rx = TestData.Tensor(Reference, M(n, c), x);
            var rMean = Reference.Allocate(M(s, c));
            var rInv = Reference.Allocate(M(s, c));
            Reference.BatchNormForward(rx, segments, TestData.Tensor(Reference, V(c), gamma), Reference.Allocate(V(c)), 1e-5f,
                Reference.Allocate(M(n, c)), rMean, rInv, null, null, 0.1f);
            var mean = rMean.ToArray();
            var inv = rInv.ToArray();

            var dy = TestData.Random(n * c, c + 5);
            foreach (var (accInput, accParams) in new[] { (false, false), (true, true), (true, false), (false, true) })
            {
                var dx = accInput ? TestData.Random(n * c, c + 6) : Filled(n * c, float.NaN);
                var dGamma = accParams ? TestData.Random(c, c + 7) : Filled(c, float.NaN);
                var dBeta = accParams ? TestData.Random(c, c + 8) : Filled(c, float.NaN);
                Compare($"BatchNormBackward {layout} C={c} accInput={accInput} accParams={accParams}",
                    [M(n, c), M(n, c), V(c), M(s, c), M(s, c), M(n, c), V(c), V(c)],
                    [x, dy, gamma, mean, inv, dx, dGamma, dBeta],
                    (b, t) => b.BatchNormBackward(t[0], t[1], segments, t[2], t[3], t[4], t[5], accInput, t[6], t[7], accParams));
            }
        }
    }

    [Fact]
    public void BatchNorm_running_statistics_follow_successive_updates()
    {
        // Three forward passes over a ragged batch: the running statistics are updated S times per pass.
        var segments = BatchSegments.FromLengths([2, 5, 9]);
        const int c = 19;
        var n = segments.TotalRows;
        var rm = TestData.Random(c, 1);
        var rv = TestData.Random(c, 2, 0.5f, 1f);
        Compare("running statistics", [V(c), V(c)], [rm, rv], (b, t) =>
        {
            for (var pass = 0; pass < 3; pass++)
            {
                using var x = TestData.Tensor(b, M(n, c), TestData.Random(n * c, 10 + pass, 1.5f, -2f));
                using var gamma = TestData.Tensor(b, V(c), Filled(c, 1f));
                using var beta = b.Allocate(V(c));
                using var y = b.Allocate(M(n, c));
                using var mean = b.Allocate(M(segments.Count, c));
                using var inv = b.Allocate(M(segments.Count, c));
                b.BatchNormForward(x, segments, gamma, beta, 1e-5f, y, mean, inv, t[0], t[1], 0.25f);
            }
        });
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void BatchNormInference_matches_reference_out_of_place_and_in_place(int rows, int columns)
    {
        var x = TestData.Random(rows * columns, rows, 2f, 1f);
        var gamma = TestData.Random(columns, 1, 0.5f, 1f);
        var beta = TestData.Random(columns, 2);
        var rm = TestData.Random(columns, 3, 1f, 1f);
        var rv = TestData.Random(columns, 4, 0.5f, 2f);
        TensorShape[] shapes = [M(rows, columns), V(columns), V(columns), V(columns), V(columns), M(rows, columns)];
        Compare("BatchNormInference", shapes, [x, gamma, beta, rm, rv, Filled(rows * columns, float.NaN)],
            (b, t) => b.BatchNormInference(t[0], t[1], t[2], t[3], t[4], 1e-5f, t[5]));
        Compare("BatchNormInference in place", shapes[..5], [x, gamma, beta, rm, rv],
            (b, t) => b.BatchNormInference(t[0], t[1], t[2], t[3], t[4], 1e-5f, t[0]));
    }

    // ------------------------------------------------------------------ distance and objective

    [Fact]
    public void RowSquaredDistance_and_backward_match_reference()
    {
        foreach (var rows in new[] { 1, 2, 17, 513, 1100 })
        {
            foreach (var d in new[] { 1, 3, 8, 16, 17, 64, 129 })
            {
                var z = TestData.Random(rows * d, rows + d, 1f, 0.5f);
                var center = TestData.Random(d, d);
                Compare($"RowSquaredDistance N={rows} D={d}", [M(rows, d), V(d), V(rows)], [z, center, Filled(rows, float.NaN)],
                    (b, t) => b.RowSquaredDistance(t[0], t[1], t[2]));

                var g = TestData.Random(rows, rows);
                foreach (var (accZ, accC) in new[] { (false, false), (true, true), (false, true), (true, false) })
                {
                    var dz = accZ ? TestData.Random(rows * d, 5) : Filled(rows * d, float.NaN);
                    var dc = accC ? TestData.Random(d, 6) : Filled(d, float.NaN);
                    Compare($"RowSquaredDistanceBackward N={rows} D={d} accZ={accZ} accC={accC}", [M(rows, d), V(d), V(rows), M(rows, d), V(d)],
                        [z, center, g, dz, dc], (b, t) => b.RowSquaredDistanceBackward(t[0], t[1], t[2], t[3], accZ, t[4], accC));
                }
            }
        }
    }

    [Fact]
    public void AcrObjective_matches_reference_and_ignores_the_unselected_term()
    {
        foreach (var n in SweepLengths.Take(257).Concat([8192]))
        {
            var isAnomaly = TestData.Random(n, n).Select(v => v > 0.4f ? 1f : 0f).ToArray();
            var normal = TestData.Random(n, n + 1, 1f, 1f);
            var anomaly = TestData.Random(n, n + 2, 1f, 2f);
            for (var i = 0; i < n; i++)
            {
                // The unselected term may be infinite or NaN: it must not be read into the sum.
                if (isAnomaly[i] == 0)
                {
                    anomaly[i] = i % 2 == 0 ? float.PositiveInfinity : float.NaN;
                }
                else
                {
                    normal[i] = float.PositiveInfinity;
                }
            }

            var weight = TestData.Random(n, n + 3, 0.5f, 1f);
            Compare($"AcrObjective n={n}", [V(n), V(n), V(n), V(n), V(1)], [normal, anomaly, isAnomaly, weight, [float.NaN]],
                (b, t) => b.AcrObjective(t[0], t[1], t[2], t[3], t[4]));

            foreach (var acc in new[] { false, true })
            {
                var dn = acc ? TestData.Random(n, 7) : Filled(n, float.NaN);
                var da = acc ? TestData.Random(n, 8) : Filled(n, float.NaN);
                Compare($"AcrObjectiveBackward n={n} acc={acc}", [V(n), V(n), V(1), V(n), V(n)], [isAnomaly, weight, [0.37f], dn, da],
                    (b, t) => b.AcrObjectiveBackward(t[0], t[1], t[2], t[3], t[4], acc));
            }
        }
    }

    [Fact]
    public void AcrObjective_of_finite_terms_is_finite()
    {
        const int n = 1000;
        var isAnomaly = Enumerable.Range(0, n).Select(i => i % 3 == 0 ? 1f : 0f).ToArray();
        var normal = isAnomaly.Select(a => a != 0 ? float.PositiveInfinity : 1f).ToArray();
        var anomaly = isAnomaly.Select(a => a != 0 ? 2f : float.PositiveInfinity).ToArray();
        var loss = Mine(1);
        Backend.AcrObjective(Mine(V(n), normal), Mine(V(n), anomaly), Mine(V(n), isAnomaly), Mine(V(n), Filled(n, 1f / n)), loss);
        Assert.Equal((334 * 2 + 666) / 1000.0, loss.ToArray()[0], 5);
    }

    // ------------------------------------------------------------------ optimizer

    [Fact]
    public void AdamUpdate_matches_reference_over_several_steps()
    {
        foreach (var n in new[] { 1, 5, 16, 33, 257, 140_001 })
        {
            foreach (var weightDecay in new[] { 0f, 0.01f })
            {
                var p = TestData.Random(n, n);
                Compare($"Adam n={n} wd={weightDecay}", [V(n), V(n), V(n)], [p, new float[n], new float[n]], (b, t) =>
                {
                    for (var step = 1; step <= 4; step++)
                    {
                        using var g = TestData.Tensor(b, V(n), TestData.Random(n, (n * 10) + step, 0.1f * step));
                        b.AdamUpdate(t[0], g, t[1], t[2], new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, weightDecay, step));
                    }
                });
            }
        }
    }

    // ------------------------------------------------------------------ errors

    [Fact]
    public void Shape_mismatches_throw_ArgumentException()
    {
        var m34 = Mine(3, 4);
        var m43 = Mine(4, 3);
        var m33 = Mine(3, 3);
        var v3 = Mine(3);
        var v4 = Mine(4);
        var v5 = Mine(5);

        Assert.Throws<ArgumentException>(() => Backend.Gemm(false, false, 1f, m34, m34, 0f, m33));
        Assert.Throws<ArgumentException>(() => Backend.Gemm(false, false, 1f, m34, m43, 0f, Mine(3, 4)));
        Assert.Throws<ArgumentException>(() => Backend.Gemm(true, true, 1f, m34, m43, 0f, m33));
        Assert.Throws<ArgumentException>(() => Backend.AddRowVector(m34, v3, Mine(3, 4)));
        Assert.Throws<ArgumentException>(() => Backend.AddRowVector(m34, v4, m43));
        Assert.Throws<ArgumentException>(() => Backend.ColumnSum(m34, v3, false));
        Assert.Throws<ArgumentException>(() => Backend.Relu(v3, v4));
        Assert.Throws<ArgumentException>(() => Backend.ReluBackward(v3, v3, v4, false));
        Assert.Throws<ArgumentException>(() => Backend.Axpy(1f, v3, v4));
        Assert.Throws<ArgumentException>(() => Backend.ShiftedReciprocal(v3, 1f, v5));
        Assert.Throws<ArgumentException>(() => Backend.ShiftedReciprocalBackward(v3, v4, v3, true));
        Assert.Throws<ArgumentException>(() => Backend.Copy(v3, v4));
        Assert.Throws<ArgumentException>(() => Backend.Upload(new float[4], v3));
        Assert.Throws<ArgumentException>(() => Backend.Download(v3, new float[2]));
        Assert.Throws<ArgumentException>(() => Backend.RowSquaredDistance(m34, v3, v3));
        Assert.Throws<ArgumentException>(() => Backend.RowSquaredDistance(m34, v4, v4));
        Assert.Throws<ArgumentException>(() => Backend.RowSquaredDistanceBackward(m34, v4, v3, m43, false, v4, false));
        Assert.Throws<ArgumentException>(() => Backend.AcrObjective(v3, v3, v3, v4, Mine(1)));
        Assert.Throws<ArgumentException>(() => Backend.AcrObjective(v3, v3, v3, v3, Mine(2)));
        Assert.Throws<ArgumentException>(() => Backend.AcrObjectiveBackward(v3, v3, Mine(1), v3, v4, false));
        Assert.Throws<ArgumentException>(() => Backend.AdamUpdate(v3, v3, v3, v4, new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormInference(m34, v4, v4, v4, v3, 1e-5f, Mine(3, 4)));
    }

    [Fact]
    public void BatchNorm_shape_mismatches_throw_ArgumentException()
    {
        var x = Mine(M(4, 3), TestData.Random(12, 1));
        var segments = BatchSegments.Uniform(2, 2);
        var v3 = Mine(3);
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, BatchSegments.Whole(5), v3, v3, 1e-5f, Mine(4, 3), Mine(1, 3), Mine(1, 3), null, null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, Mine(4), v3, 1e-5f, Mine(4, 3), Mine(2, 3), Mine(2, 3), null, null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, Mine(4, 4), Mine(2, 3), Mine(2, 3), null, null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, Mine(4, 3), Mine(1, 3), Mine(2, 3), null, null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, Mine(4, 3), Mine(2, 3), Mine(2, 3), Mine(3), null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, Mine(4, 3), Mine(2, 3), Mine(2, 3), Mine(4), Mine(4), 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormBackward(x, Mine(4, 2), segments, v3, Mine(2, 3), Mine(2, 3), Mine(4, 3), false, v3, v3, false));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormBackward(x, Mine(4, 3), segments, v3, Mine(1, 3), Mine(2, 3), Mine(4, 3), false, v3, v3, false));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormBackward(x, Mine(4, 3), segments, v3, Mine(2, 3), Mine(2, 3), Mine(4, 3), false, Mine(2), v3, false));
    }

    [Fact]
    public void BatchNormForward_with_a_one_row_segment_throws_mentioning_the_batch_size()
    {
        var x = Mine(M(5, 3), TestData.Random(15, 1));
        var v3 = Mine(3);
        var segments = BatchSegments.FromLengths([2, 1, 2]);
        var e = Assert.Throws<ArgumentException>(() =>
            Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, Mine(5, 3), Mine(3, 3), Mine(3, 3), null, null, 0.1f));
        Assert.Contains("batch size", e.Message, StringComparison.OrdinalIgnoreCase);
        e = Assert.Throws<ArgumentException>(() =>
            Backend.BatchNormForward(Mine(1, 3), BatchSegments.Whole(1), v3, v3, 1e-5f, Mine(1, 3), Mine(1, 3), Mine(1, 3), null, null, 0.1f));
        Assert.Contains("batch size", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Tensors_of_another_backend_are_rejected()
    {
        var foreign = Reference.Allocate(TensorShape.Vector(3));
        var own = Mine(3);
        Assert.Throws<ArgumentException>(() => Backend.Relu(foreign, own));
        Assert.Throws<ArgumentException>(() => Backend.Relu(own, foreign));
        Assert.Throws<ArgumentException>(() => Backend.Upload(new float[3], foreign));
        Assert.Throws<ArgumentException>(() => Backend.Gemm(false, false, 1f, Reference.Allocate(M(3, 3)), Mine(3, 3), 0f, Mine(3, 3)));
    }
}
