using Acr.Tensors;

namespace Acr.Backends.Tests;

/// <summary>
/// The contract's determinism clause: for fixed inputs every kernel gives bit-identical results on every
/// call and for every thread count. Results with 2, 3 and 4 threads are compared bit for bit with 1 thread.
/// </summary>
public sealed class CpuDeterminismTests
{
    private static readonly int[] ThreadCounts = [1, 2, 3, 4];

    public static TheoryData<bool, bool, int, int, int> GemmCases => new()
    {
        { false, true, 8192, 128, 16 },
        { false, true, 8192, 128, 128 },
        { false, false, 8192, 128, 128 },
        { true, false, 128, 128, 8192 },
        { true, false, 128, 16, 8192 },
        { false, false, 300, 200, 520 },
        { false, true, 300, 200, 520 },
        { true, false, 300, 200, 520 },
        { true, true, 257, 257, 257 },
        { false, false, 1024, 1024, 64 },
        { false, false, 5, 4100, 300 },
    };

    [Theory]
    [MemberData(nameof(GemmCases))]
    public void Gemm_is_bit_identical_for_any_thread_count_and_call(bool transposeA, bool transposeB, int m, int n, int k)
    {
        var a = TestData.Random(m * k, 1);
        var b = TestData.Random(k * n, 2);
        var c = TestData.Random(m * n, 3);
        float[]? first = null;
        foreach (var threads in ThreadCounts)
        {
            using var backend = new CpuBackend(threads);
            using var ta = TestData.Tensor(backend, transposeA ? TensorShape.Matrix(k, m) : TensorShape.Matrix(m, k), a);
            using var tb = TestData.Tensor(backend, transposeB ? TensorShape.Matrix(n, k) : TensorShape.Matrix(k, n), b);
            for (var call = 0; call < 2; call++)
            {
                using var tc = TestData.Tensor(backend, TensorShape.Matrix(m, n), c);
                backend.Gemm(transposeA, transposeB, 0.75f, ta, tb, 0.5f, tc);
                var result = tc.ToArray();
                first ??= result;
                TestData.AssertBitIdentical(first, result, $"Gemm threads={threads} call={call}");
            }
        }
    }

    public static TheoryData<string> Layouts => new() { "uniform-64x128", "whole-8192", "ragged" };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void BatchNorm_forward_and_backward_are_bit_identical_for_any_thread_count(string layout)
    {
        int[] lengths = layout switch
        {
            "uniform-64x128" => Enumerable.Repeat(128, 64).ToArray(),
            "whole-8192" => [8192],
            _ => [2, 100, 3000, 7, 2, 900],
        };
        const int c = 130;
        var n = lengths.Sum();
        var s = lengths.Length;
        var x = TestData.Random(n * c, 1, 2f, 1f);
        var dy = TestData.Random(n * c, 2);
        var gamma = TestData.Random(c, 3, 0.5f, 1f);
        var beta = TestData.Random(c, 4);
        List<float[]>? first = null;
        foreach (var threads in ThreadCounts)
        {
            using var backend = new CpuBackend(threads);
            using var segments = BatchSegments.Create(backend, lengths);
            using var tx = TestData.Tensor(backend, TensorShape.Matrix(n, c), x);
            using var tdy = TestData.Tensor(backend, TensorShape.Matrix(n, c), dy);
            using var tg = TestData.Tensor(backend, TensorShape.Vector(c), gamma);
            using var tb = TestData.Tensor(backend, TensorShape.Vector(c), beta);
            using var y = backend.Allocate(TensorShape.Matrix(n, c));
            using var mean = backend.Allocate(TensorShape.Matrix(s, c));
            using var inv = backend.Allocate(TensorShape.Matrix(s, c));
            using var rm = TestData.Filled(backend, TensorShape.Vector(c), 0f);
            using var rv = TestData.Tensor(backend, TensorShape.Vector(c), Enumerable.Repeat(1f, c).ToArray());
            using var dx = backend.Allocate(TensorShape.Matrix(n, c));
            using var dg = backend.Allocate(TensorShape.Vector(c));
            using var db = backend.Allocate(TensorShape.Vector(c));
            backend.BatchNormForward(tx, segments, tg, tb, 1e-5f, Activation.None, y, mean, inv, rm, rv, 0.1f);
            backend.BatchNormBackward(tx, tdy, segments, tg, mean, inv, dx, false, dg, db, false);
            List<float[]> results = [y.ToArray(), mean.ToArray(), inv.ToArray(), rm.ToArray(), rv.ToArray(), dx.ToArray(), dg.ToArray(), db.ToArray()];
            first ??= results;
            for (var i = 0; i < results.Count; i++)
            {
                TestData.AssertBitIdentical(first[i], results[i], $"batch norm output {i}, threads={threads}");
            }
        }
    }

    [Fact]
    public void Reductions_element_wise_ops_and_Adam_are_bit_identical_for_any_thread_count()
    {
        const int rows = 8192, columns = 128, length = 300_001;
        var z = TestData.Random(rows * columns, 1);
        var center = TestData.Random(columns, 2);
        var g = TestData.Random(rows, 3);
        var v = TestData.Random(length, 4);
        var w = TestData.Random(length, 5);
        List<float[]>? first = null;
        foreach (var threads in ThreadCounts)
        {
            using var backend = new CpuBackend(threads);
            using var tz = TestData.Tensor(backend, TensorShape.Matrix(rows, columns), z);
            using var tc = TestData.Tensor(backend, TensorShape.Vector(columns), center);
            using var tg = TestData.Tensor(backend, TensorShape.Vector(rows), g);
            using var sums = backend.Allocate(TensorShape.Vector(columns));
            using var distance = backend.Allocate(TensorShape.Vector(rows));
            using var dz = backend.Allocate(TensorShape.Matrix(rows, columns));
            using var dc = backend.Allocate(TensorShape.Vector(columns));
            using var shifted = backend.Allocate(TensorShape.Matrix(rows, columns));
            backend.ColumnSum(tz, sums, false);
            backend.RowSquaredDistance(tz, tc, distance);
            backend.RowSquaredDistanceBackward(tz, tc, tg, dz, false, dc, false);
            backend.AddRowVector(tz, tc, shifted);

            using var p = TestData.Tensor(backend, TensorShape.Vector(length), v);
            using var grad = TestData.Tensor(backend, TensorShape.Vector(length), w);
            using var m1 = TestData.Filled(backend, TensorShape.Vector(length), 0f);
            using var m2 = TestData.Filled(backend, TensorShape.Vector(length), 0f);
            using var relu = backend.Allocate(TensorShape.Vector(length));
            for (var step = 1; step <= 3; step++)
            {
                backend.AdamUpdate(p, grad, m1, m2, new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step));
            }

            backend.Relu(grad, relu);
            backend.Axpy(0.5f, grad, relu);
            List<float[]> results = [sums.ToArray(), distance.ToArray(), dz.ToArray(), dc.ToArray(), shifted.ToArray(), p.ToArray(), m1.ToArray(), m2.ToArray(), relu.ToArray()];
            first ??= results;
            for (var i = 0; i < results.Count; i++)
            {
                TestData.AssertBitIdentical(first[i], results[i], $"output {i}, threads={threads}");
            }
        }
    }
}
