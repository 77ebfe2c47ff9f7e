using Acr.Autograd;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Abstractions.Tests;

/// <summary>
/// The invariant that makes ACR fast: batch norm over T segments in one pass equals T separate passes
/// (one per task), forward and backward, within relative error 1e-5; and running statistics updated
/// per segment equal T sequential PyTorch-style updates.
/// </summary>
public class SegmentedBatchNormTests
{
    public static TheoryData<string, int[]> Cases()
    {
        var data = new TheoryData<string, int[]>();
        foreach (var backend in new[] { "reference", "cpu", "queued-device" })
        {
            data.Add(backend, [256, 256, 256, 256]);
            data.Add(backend, [2, 3, 17, 64, 5]);
            data.Add(backend, [33]);
        }

        return data;
    }

    private static ComputeBackend Create(string name) => name switch
    {
        "cpu" => new CpuBackendProvider().Create(new CpuBackendProvider().Devices[0]),
        "queued-device" => new QueuedDeviceBackend(),
        _ => new ReferenceBackend(),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_segmented_pass_equals_separate_passes(string backendName, int[] lengths)
    {
        using var backend = Create(backendName);
        const int channels = 37;
        var rng = new SeededRandom(11);
        using var segments = BatchSegments.Create(backend, lengths);
        var n = segments.TotalRows;
        var x = Enumerable.Range(0, n * channels).Select(_ => (float)(3 + (2 * rng.NextNormal()))).ToArray();
        var dy = Enumerable.Range(0, n * channels).Select(_ => (float)rng.NextNormal()).ToArray();
        var gamma = Enumerable.Range(0, channels).Select(_ => rng.NextUniform(0.5f, 1.5f)).ToArray();
        var beta = Enumerable.Range(0, channels).Select(_ => rng.NextUniform(-1f, 1f)).ToArray();

        // One pass over all segments.
        var (y, dx, dGamma, dBeta, runMean, runVar) = Pass(backend, x, dy, gamma, beta, segments, channels);

        // T passes, one per segment, accumulating parameter gradients and updating running stats in order.
        var yRef = new float[n * channels];
        var dxRef = new float[n * channels];
        var dGammaRef = new double[channels];
        var dBetaRef = new double[channels];
        float[]? meanState = null, varState = null;
        for (var s = 0; s < segments.Count; s++)
        {
            var range = (segments.Start(s) * channels)..((segments.Start(s) + segments.Length(s)) * channels);
            using var one = BatchSegments.Whole(backend, segments.Length(s));
            var (ys, dxs, dgs, dbs, rm, rv) = Pass(backend, x[range], dy[range], gamma, beta, one, channels, meanState, varState);
            ys.CopyTo(yRef.AsSpan(range));
            dxs.CopyTo(dxRef.AsSpan(range));
            for (var j = 0; j < channels; j++)
            {
                dGammaRef[j] += dgs[j];
                dBetaRef[j] += dbs[j];
            }

            (meanState, varState) = (rm, rv);
        }

        AssertClose(yRef, y, "forward");
        AssertClose(dxRef, dx, "dx");
        AssertClose(dGammaRef.Select(v => (float)v).ToArray(), dGamma, "dγ");
        AssertClose(dBetaRef.Select(v => (float)v).ToArray(), dBeta, "dβ");
        AssertClose(meanState!, runMean, "running mean");
        AssertClose(varState!, runVar, "running variance");
    }

    private static (float[] Y, float[] Dx, float[] DGamma, float[] DBeta, float[] RunMean, float[] RunVar) Pass(
        ComputeBackend backend, float[] x, float[] dy, float[] gamma, float[] beta, BatchSegments segments, int channels,
        float[]? runMean = null, float[]? runVar = null)
    {
        using var tape = new Tape(backend);
        var xv = tape.Input(x, TensorShape.Matrix(segments.TotalRows, channels), requiresGrad: true);
        var g = tape.Input(gamma, TensorShape.Vector(channels), requiresGrad: true);
        var b = tape.Input(beta, TensorShape.Vector(channels), requiresGrad: true);
        using var rm = backend.Allocate(TensorShape.Vector(channels));
        using var rv = backend.Allocate(TensorShape.Vector(channels));
        backend.Upload(runMean ?? new float[channels], rm);
        backend.Upload(runVar ?? Enumerable.Repeat(1f, channels).ToArray(), rv);
        var y = Ops.BatchNorm(tape, xv, segments, g, b, 1e-5f, rm, rv, 0.1f);
        // Loss Σ dy ⊙ y, so the gradient reaching y is exactly dy.
        var w = tape.Input(dy, y.Shape);
        var zeros = tape.Input(new float[dy.Length], TensorShape.Vector(dy.Length));
        var loss = Ops.AcrObjective(tape, y, y, zeros, w);
        tape.Backward(loss);
        return (y.Value.ToArray(), xv.Grad!.ToArray(), g.Grad!.ToArray(), b.Grad!.ToArray(), rm.ToArray(), rv.ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(1e-3, expected.Max(v => Math.Abs((double)v)));
        for (var i = 0; i < expected.Length; i++)
        {
            var rel = Math.Abs(expected[i] - actual[i]) / scale;
            Assert.True(rel <= 1e-5, $"{what}[{i}]: separate {expected[i]:G9} vs segmented {actual[i]:G9} (relative error {rel:G3} > 1e-5)");
        }
    }
}
