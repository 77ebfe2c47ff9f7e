using Acr.Autograd;
using Acr.Nn;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Abstractions.Tests;

/// <summary>
/// <see cref="Sequential"/> runs a batch norm followed by a ReLU as one fused op. The fusion must be
/// invisible: the output, every parameter gradient and the running statistics equal, bit for bit, those
/// of the same layers applied one by one.
/// </summary>
public class SequentialFusionTests
{
    public static TheoryData<string, bool> Backends => new() { { "reference", false }, { "cpu", false }, { "reference", true }, { "cpu", true } };

    [Theory]
    [MemberData(nameof(Backends))]
    public void Fused_sequential_equals_the_layers_applied_one_by_one(string backendName, bool images)
    {
        using ComputeBackend backend = backendName == "cpu" ? new CpuBackend(2) : new ReferenceBackend();
        using var segments = BatchSegments.Create(backend, [5, 9, 2]);
        var rng = new SeededRandom(3);
        var x = Enumerable.Range(0, segments.TotalRows * (images ? 50 : 6)).Select(_ => (float)rng.NextNormal()).ToArray();

        var fused = Run(backend, segments, x, oneByOne: false, images);
        var separate = Run(backend, segments, x, oneByOne: true, images);

        Assert.Equal(separate.Count, fused.Count);
        for (var i = 0; i < fused.Count; i++)
        {
            Assert.True(separate[i].Values.SequenceEqual(fused[i].Values), $"{fused[i].Name} differs between the fused and the layer-by-layer pass");
        }
    }

    /// <summary>One training step's forward and backward; returns the output, every gradient and the running statistics.</summary>
    /// <remarks>With <paramref name="images"/>, rows of 2×5×5 images through conv → BatchNorm2d → ReLU blocks (the image protocol's trunk).</remarks>
    private static List<(string Name, float[] Values)> Run(ComputeBackend backend, BatchSegments segments, float[] x, bool oneByOne, bool images)
    {
        var init = new SeededRandom(9);
        using var network = images
            ? new Sequential(
                new Unflatten(new ImageShape(2, 5, 5)), new Conv2d(backend, 2, 4, 3, 2, 1, init), new BatchNorm2d(backend, 4), new ReLU(),
                new Conv2d(backend, 4, 3, 3, 2, 1, init), new BatchNorm2d(backend, 3), new ReLU(), new GlobalAvgPool2d(),
                new Linear(backend, 3, 3, init), new BatchNorm(backend, 3))
            : new Sequential(
                new Linear(backend, 6, 8, init), new BatchNorm(backend, 8), new ReLU(),
                new Linear(backend, 8, 4, init), new BatchNorm(backend, 4), new ReLU(),
                new Linear(backend, 4, 3, init), new BatchNorm(backend, 3));
        using var tape = new Tape(backend);
        var context = ForwardContext.Training(segments);
        var h = tape.Input(x, TensorShape.Matrix(segments.TotalRows, images ? 50 : 6));
        if (oneByOne)
        {
            foreach (var layer in network.Layers)
            {
                h = layer.Forward(tape, h, context);
            }
        }
        else
        {
            h = network.Forward(tape, h, context);
        }

        var rows = segments.TotalRows * 3;
        var weights = Enumerable.Range(0, rows).Select(i => (float)Math.Sin(i)).ToArray();
        var zeros = tape.Input(new float[rows], TensorShape.Vector(rows));
        var loss = Ops.AcrObjective(tape, h, h, zeros, tape.Input(weights, h.Shape));
        tape.Backward(loss);

        var result = new List<(string, float[])> { ("output", h.Value.ToArray()) };
        var state = new List<NamedTensor>();
        network.CollectState(string.Empty, state);
        foreach (var item in state)
        {
            result.Add((item.Name, item.Tensor.ToArray()));
            if (item.Parameter?.Grad is { } grad)
            {
                result.Add((item.Name + ".grad", grad.ToArray()));
            }
        }

        return result;
    }
}
