using Acr.Compute;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Testing;

/// <summary>
/// Backend-agnostic facts about the image ops that the per-op samples cannot state: the segmented 2-d batch norm equals one
/// pass per segment (forward, backward and running statistics), and the argument rules refuse bad shapes with messages that
/// name the problem. A backend subclasses the suite with a factory.
/// </summary>
public abstract class ImageOpsSuite : IDisposable
{
    /// <summary>Creates the suite over a backend made by <paramref name="factory"/> (one per test).</summary>
    protected ImageOpsSuite(Func<ComputeBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Backend = factory();
    }

    /// <summary>The backend under test.</summary>
    protected ComputeBackend Backend { get; }

    /// <summary>Disposes the backend under test.</summary>
    public void Dispose()
    {
        Backend.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Segment lengths (images per task), channels, height, width and whether ReLU is fused.</summary>
    public static TheoryData<int[], int, int, int, bool> SegmentCases => new()
    {
        { [4, 4, 4, 4], 8, 5, 5, false },
        { [1, 3, 2, 7, 1], 6, 4, 3, true },
        { [5], 3, 7, 7, false },
        { [2, 2, 2], 64, 2, 2, true },
    };

    /// <summary>
    /// One segmented pass over S segments equals S passes, one per segment alone: y, the statistics and dx bit for bit (each segment's
    /// arithmetic is its own), dγ and dβ as the sum of the separate passes', and the running statistics as S sequential updates.
    /// </summary>
    [Theory]
    [MemberData(nameof(SegmentCases))]
    public void Segmented_batch_norm_2d_equals_separate_passes(int[] lengths, int channels, int height, int width, bool relu)
    {
        var image = new ImageShape(channels, height, width);
        var n = lengths.Sum();
        var rng = new SeededRandom(17);
        var x = Enumerable.Range(0, n * image.Length).Select(_ => (float)(2 + (3 * rng.NextNormal()))).ToArray();
        var dy = Enumerable.Range(0, n * image.Length).Select(_ => (float)rng.NextNormal()).ToArray();
        var gamma = Enumerable.Range(0, channels).Select(_ => rng.NextUniform(0.5f, 1.5f)).ToArray();
        var beta = Enumerable.Range(0, channels).Select(_ => rng.NextUniform(-1f, 1f)).ToArray();
        var activation = relu ? Activation.Relu : Activation.None;

        using var segments = BatchSegments.Create(Backend, lengths);
        var whole = Pass(x, dy, gamma, beta, segments, image, activation, null, null);

        var y = new float[x.Length];
        var dx = new float[x.Length];
        var mean = new List<float>();
        var inv = new List<float>();
        var dGamma = new double[channels];
        var dBeta = new double[channels];
        float[]? runningMean = null, runningVariance = null;
        for (var s = 0; s < lengths.Length; s++)
        {
            var start = lengths[..s].Sum() * image.Length;
            var range = start..(start + (lengths[s] * image.Length));
            using var one = BatchSegments.Whole(Backend, lengths[s]);
            var part = Pass(x[range], dy[range], gamma, beta, one, image, activation, runningMean, runningVariance);
            part.Y.CopyTo(y.AsSpan(range));
            part.Dx.CopyTo(dx.AsSpan(range));
            mean.AddRange(part.Mean);
            inv.AddRange(part.InverseStd);
            for (var j = 0; j < channels; j++)
            {
                dGamma[j] += part.DGamma[j];
                dBeta[j] += part.DBeta[j];
            }

            (runningMean, runningVariance) = (part.RunningMean, part.RunningVariance);
        }

        TestData.AssertBitIdentical(y, whole.Y, "y");
        TestData.AssertBitIdentical([.. mean], whole.Mean, "mean");
        TestData.AssertBitIdentical([.. inv], whole.InverseStd, "inverse std");
        TestData.AssertBitIdentical(dx, whole.Dx, "dx");
        TestData.AssertBitIdentical(runningMean!, whole.RunningMean, "running mean");
        TestData.AssertBitIdentical(runningVariance!, whole.RunningVariance, "running variance");
        TestData.AssertClose(dGamma.Select(v => (float)v).ToArray(), whole.DGamma, 1e-5, "dγ");
        TestData.AssertClose(dBeta.Select(v => (float)v).ToArray(), whole.DBeta, 1e-5, "dβ");
    }

    /// <summary>Zero sizes, kernels that do not fit, bad strides and paddings are refused with messages naming the fix.</summary>
    [Fact]
    public void Image_ops_refuse_bad_shapes_with_messages_naming_the_fix()
    {
        using var x = Backend.Allocate(new TensorShape(2, 3, 5, 5));
        using var matrix = Backend.Allocate(TensorShape.Matrix(2, 75));
        using var w = Backend.Allocate(new TensorShape(4, 2, 3, 3));
        using var w3 = Backend.Allocate(new TensorShape(4, 3, 3, 3));
        using var big = Backend.Allocate(new TensorShape(4, 3, 9, 9));
        using var y = Backend.Allocate(new TensorShape(2, 4, 3, 3));
        using var wrongY = Backend.Allocate(new TensorShape(2, 4, 5, 5));

        var e = Assert.Throws<ArgumentException>(() => Backend.Conv2dForward(matrix, w3, null, 2, 1, y));
        Assert.Contains("rank-4 tensor [N, C, H, W]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Backend.Conv2dForward(x, w, null, 2, 1, y));
        Assert.Contains("filters over 2 input channels, but x has 3 channels", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Backend.Conv2dForward(x, w3, null, 2, 1, wrongY));
        Assert.Contains("y must have shape [2, 4, 3, 3]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Backend.Conv2dForward(x, big, null, 1, 0, y));
        Assert.Contains("does not fit the 5×5 input", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Backend.Conv2dForward(x, w3, null, 0, 1, y));

        using var pooled = Backend.Allocate(new TensorShape(2, 3, 3, 3));
        using var indices = Backend.Allocate(new TensorShape(2, 3, 3, 3), DataType.Int32);
        e = Assert.Throws<ArgumentException>(() => Backend.MaxPool2dForward(x, new Window2d(2, 2, 2, 2), pooled, indices));
        Assert.Contains("at most half the kernel", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Backend.MaxPool2dForward(x, new Window2d(3, 3, 2, 1), pooled, pooled));
        Assert.Contains("Int32", e.Message, StringComparison.Ordinal);

        using var single = BatchSegments.Create(Backend, [1, 1]);
        using var pixel = Backend.Allocate(new TensorShape(2, 3, 1, 1));
        using var gamma = Backend.Allocate(TensorShape.Vector(3));
        using var stats = Backend.Allocate(TensorShape.Matrix(2, 3));
        using var out1 = Backend.Allocate(new TensorShape(2, 3, 1, 1));
        e = Assert.Throws<ArgumentException>(() => Backend.BatchNorm2dForward(pixel, single, gamma, gamma, 1e-5f, Activation.None, out1, stats, stats, null, null, 0.1f));
        Assert.Contains("at least 2 values per channel", e.Message, StringComparison.Ordinal);
    }

    private Result Pass(float[] x, float[] dy, float[] gamma, float[] beta, BatchSegments segments, ImageShape image, Activation activation, float[]? runningMean, float[]? runningVariance)
    {
        var b = Backend;
        var shape = image.Batch(x.Length / image.Length);
        var c = image.Channels;
        using var tx = TestData.Tensor(b, shape, x);
        using var tdy = TestData.Tensor(b, shape, dy);
        using var tg = TestData.Tensor(b, TensorShape.Vector(c), gamma);
        using var tb = TestData.Tensor(b, TensorShape.Vector(c), beta);
        using var rm = TestData.Tensor(b, TensorShape.Vector(c), runningMean ?? new float[c]);
        using var rv = TestData.Tensor(b, TensorShape.Vector(c), runningVariance ?? Enumerable.Repeat(1f, c).ToArray());
        using var y = b.Allocate(shape);
        using var mean = b.Allocate(TensorShape.Matrix(segments.Count, c));
        using var inv = b.Allocate(TensorShape.Matrix(segments.Count, c));
        using var masked = b.Allocate(shape);
        using var dx = b.Allocate(shape);
        using var dg = b.Allocate(TensorShape.Vector(c));
        using var db = b.Allocate(TensorShape.Vector(c));
        b.BatchNorm2dForward(tx, segments, tg, tb, 1e-5f, activation, y, mean, inv, rm, rv, 0.1f);
        if (activation == Activation.Relu)
        {
            b.ReluBackward(y, tdy, masked, accumulate: false);
        }
        else
        {
            b.Copy(tdy, masked);
        }

        b.BatchNorm2dBackward(tx, masked, segments, tg, mean, inv, dx, false, dg, db, false);
        return new Result(y.ToArray(), mean.ToArray(), inv.ToArray(), dx.ToArray(), dg.ToArray(), db.ToArray(), rm.ToArray(), rv.ToArray());
    }

    private sealed record Result(float[] Y, float[] Mean, float[] InverseStd, float[] Dx, float[] DGamma, float[] DBeta, float[] RunningMean, float[] RunningVariance);
}
