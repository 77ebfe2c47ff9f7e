using Acr.Tensors;

namespace Acr.Backends.Tests;

/// <summary>The shared image-op facts on the CPU backend.</summary>
public sealed class CpuImageOpsSuiteTests() : ImageOpsSuite(() => new CpuBackend(2));

/// <summary>
/// The CPU image kernels' own paths: the convolution in small im2col chunks (chunks straddling images) and the direct
/// convolution against the reference, and bit-identical results for every thread count at the image protocol's shapes.
/// </summary>
public sealed class CpuImageOpsTests
{
    private static readonly int[] ThreadCounts = [1, 2, 3, 4];

    public static TheoryData<string> ConvolutionOps => new() { "conv2d-forward", "conv2d-backward-input", "conv2d-backward-parameters" };

    [Theory]
    [MemberData(nameof(ConvolutionOps))]
    public void Convolution_in_small_chunks_matches_the_reference(string op)
    {
        // 700 floats: a few columns per chunk for the deep samples, chunks that end inside an image for the others.
        using var backend = new CpuBackend(2) { ConvolutionColumnBudget = 700 };
        var report = BackendConformanceSuite.ContractOp(op).CheckConformance(backend);
        Assert.True(report.Passed, string.Join(Environment.NewLine, report.Failures));
    }

    [Fact]
    public void Direct_convolution_matches_the_reference()
    {
        using var backend = new CpuBackend(2) { Convolution = CpuBackend.ConvolutionAlgorithm.Direct };
        var report = Conv2dForwardOp.Instance.CheckConformance(backend);
        Assert.True(report.Passed, string.Join(Environment.NewLine, report.Failures));
    }

    public static TheoryData<int, int, int, int, int, int> ConvolutionShapes => new()
    {
        { 16, 1, 28, 64, 2, 1 },
        { 8, 64, 14, 64, 2, 1 },
        { 4, 8, 9, 5, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(ConvolutionShapes))]
    public void Convolution_is_bit_identical_for_any_thread_count(int n, int c, int size, int outputs, int stride, int padding)
    {
        var xShape = new TensorShape(n, c, size, size);
        var wShape = new TensorShape(outputs, c, 3, 3);
        var window = new Window2d(3, 3, stride, padding);
        var yShape = window.Output(new ImageShape(c, size, size), outputs).Batch(n);
        var x = TestData.Random(xShape.Length, 1);
        var w = TestData.Random(wShape.Length, 2);
        var bias = TestData.Random(outputs, 3);
        var dy = TestData.Random(yShape.Length, 4);
        List<float[]>? first = null;
        foreach (var threads in ThreadCounts)
        {
            using var backend = new CpuBackend(threads);
            using var tx = TestData.Tensor(backend, xShape, x);
            using var tw = TestData.Tensor(backend, wShape, w);
            using var tb = TestData.Tensor(backend, TensorShape.Vector(outputs), bias);
            using var tdy = TestData.Tensor(backend, yShape, dy);
            using var y = backend.Allocate(yShape);
            using var dx = backend.Allocate(xShape);
            using var dw = backend.Allocate(wShape);
            using var db = backend.Allocate(TensorShape.Vector(outputs));
            backend.Conv2dForward(tx, tw, tb, stride, padding, y);
            backend.Conv2dBackwardInput(tdy, tw, stride, padding, dx, false);
            backend.Conv2dBackwardParameters(tx, tdy, stride, padding, dw, db, false);
            List<float[]> results = [y.ToArray(), dx.ToArray(), dw.ToArray(), db.ToArray()];
            first ??= results;
            for (var i = 0; i < results.Count; i++)
            {
                TestData.AssertBitIdentical(first[i], results[i], $"convolution output {i}, threads={threads}");
            }
        }
    }

    [Fact]
    public void Batch_norm_2d_and_pooling_are_bit_identical_for_any_thread_count()
    {
        int[] lengths = [3, 5, 1, 7];
        var n = lengths.Sum();
        var shape = new TensorShape(n, 64, 14, 14);
        var window = new Window2d(3, 3, 2, 1);
        var pooledShape = window.Output(new ImageShape(64, 14, 14), 64).Batch(n);
        var x = TestData.Random(shape.Length, 5, 2f, 1f);
        var dy = TestData.Random(shape.Length, 6);
        var dp = TestData.Random(pooledShape.Length, 7);
        var gamma = TestData.Random(64, 8, 0.5f, 1f);
        List<float[]>? first = null;
        foreach (var threads in ThreadCounts)
        {
            using var backend = new CpuBackend(threads);
            using var segments = BatchSegments.Create(backend, lengths);
            using var tx = TestData.Tensor(backend, shape, x);
            using var tdy = TestData.Tensor(backend, shape, dy);
            using var tdp = TestData.Tensor(backend, pooledShape, dp);
            using var tg = TestData.Tensor(backend, TensorShape.Vector(64), gamma);
            using var rm = TestData.Filled(backend, TensorShape.Vector(64), 0f);
            using var rv = TestData.Filled(backend, TensorShape.Vector(64), 1f);
            using var y = backend.Allocate(shape);
            using var mean = backend.Allocate(TensorShape.Matrix(lengths.Length, 64));
            using var inv = backend.Allocate(TensorShape.Matrix(lengths.Length, 64));
            using var dx = backend.Allocate(shape);
            using var dg = backend.Allocate(TensorShape.Vector(64));
            using var db = backend.Allocate(TensorShape.Vector(64));
            using var pooled = backend.Allocate(pooledShape);
            using var indices = backend.Allocate(pooledShape, DataType.Int32);
            using var dpx = backend.Allocate(shape);
            using var gap = backend.Allocate(TensorShape.Matrix(n, 64));
            backend.BatchNorm2dForward(tx, segments, tg, tg, 1e-5f, Activation.Relu, y, mean, inv, rm, rv, 0.1f);
            backend.BatchNorm2dBackward(tx, tdy, segments, tg, mean, inv, dx, false, dg, db, false);
            backend.MaxPool2dForward(tx, window, pooled, indices);
            backend.MaxPool2dBackward(tdp, indices, window, dpx, false);
            backend.GlobalAvgPool2dForward(tx, gap);
            List<float[]> results = [y.ToArray(), mean.ToArray(), inv.ToArray(), rm.ToArray(), rv.ToArray(), dx.ToArray(), dg.ToArray(), db.ToArray(),
                pooled.ToArray(), [.. indices.ToInt32Array().Select(i => (float)i)], dpx.ToArray(), gap.ToArray()];
            first ??= results;
            for (var i = 0; i < results.Count; i++)
            {
                TestData.AssertBitIdentical(first[i], results[i], $"image op output {i}, threads={threads}");
            }
        }
    }
}
