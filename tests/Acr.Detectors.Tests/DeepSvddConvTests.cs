using Acr.Autograd;
using Acr.Detectors.DeepSvdd;
using Acr.Nn;
using Acr.Numerics;
using Acr.Tensors;
using Acr.Testing;

namespace Acr.Detectors.Tests;

/// <summary>
/// Deep SVDD with the image protocol's convolutional network (<c>network=conv</c>), shrunk: it is built as specified, meta-trains on
/// tiny images (segmented batch norm per task), separates an unseen anomaly pattern in zero-shot scoring, and its state (filters,
/// 2-d batch-norm statistics) round-trips by name as the model file stores it.
/// </summary>
public class DeepSvddConvTests
{
    private const int Size = 8;

    private static Dictionary<string, string> Options(string network = "conv", string shape = "1x8x8")
    {
        var options = new DeepSvddDetector().Options.ToDictionary(o => o.Name, o => o.DefaultValue, StringComparer.Ordinal);
        options["network"] = network;
        options["input-shape"] = shape;
        options["hidden"] = "8";
        options["layers"] = "2";
        options["embedding"] = "4";
        return options;
    }

    /// <summary>A task of images: normal ones a smooth blob at a random place, anomalies a checkerboard; both with noise.</summary>
    private static (float[] Images, float[] IsAnomaly) Task(SeededRandom rng, int normal, int anomalies, bool checkerboard = true)
    {
        var images = new List<float>();
        var labels = new List<float>();
        for (var k = 0; k < normal + anomalies; k++)
        {
            var anomaly = k >= normal;
            float cx = rng.NextUniform(2f, 6f), cy = rng.NextUniform(2f, 6f);
            for (var h = 0; h < Size; h++)
            {
                for (var w = 0; w < Size; w++)
                {
                    var value = anomaly
                        ? (checkerboard ? ((h + w) % 2 == 0 ? 1f : 0f) : (h % 2 == 0 ? 1f : 0f))
                        : MathF.Exp(-(((h - cy) * (h - cy)) + ((w - cx) * (w - cx))) / 4f);
                    images.Add(value + rng.NextUniform(-0.1f, 0.1f));
                }
            }

            labels.Add(anomaly ? 1f : 0f);
        }

        return ([.. images], [.. labels]);
    }

    [Fact]
    public void Conv_network_meta_trains_on_tiny_images_and_its_state_round_trips()
    {
        using var backend = new CpuBackend(2);
        var spec = new DetectorModelSpec(Size * Size, Options(), seed: 3);
        using var model = (DeepSvddModel)new DeepSvddDetector().CreateModel(spec, backend);

        // The architecture: rows as images, 2 × [conv 3×3 s2 p1 → BN2d → ReLU], pooling, Linear → BN.
        var layers = model.Network.Layers;
        Assert.IsType<Unflatten>(layers[0]);
        var conv = Assert.IsType<Conv2d>(layers[1]);
        Assert.Equal(new TensorShape(8, 1, 3, 3), conv.Weight.Value.Shape);
        Assert.IsType<BatchNorm2d>(layers[2]);
        Assert.IsType<GlobalAvgPool2d>(layers[7]);
        Assert.Contains(model.State(), s => s.Name == "net.5.running_var" && s.Tensor.Shape == TensorShape.Vector(8));

        // Meta-training: 4 tasks of 12 normal + 4 anomalous images per iteration, one batch-norm segment per task.
        const int tasks = 4, normal = 12, anomalies = 4, perTask = normal + anomalies;
        var rng = new SeededRandom(5);
        using var segments = BatchSegments.Uniform(backend, tasks, perTask);
        using var tape = new Tape(backend);
        using var adam = new Adam(backend, model.Parameters(), new AdamOptions(LearningRate: 1e-2f));
        var weights = Enumerable.Repeat(1f / (tasks * perTask), tasks * perTask).ToArray();
        var losses = new List<float>();
        for (var it = 0; it < 25; it++)
        {
            var images = new List<float>();
            var labels = new List<float>();
            for (var t = 0; t < tasks; t++)
            {
                var (x, y) = Task(rng, normal, anomalies);
                images.AddRange(x);
                labels.AddRange(y);
            }

            tape.Reset();
            model.ClearGradients();
            var input = tape.Input([.. images], TensorShape.Matrix(tasks * perTask, Size * Size));
            var terms = model.Forward(tape, input, ForwardContext.Training(segments));
            var loss = Ops.AcrObjective(tape, terms.NormalTerm, terms.AnomalyTerm, tape.Input([.. labels], TensorShape.Vector(labels.Count)), tape.Input(weights, TensorShape.Vector(weights.Length)));
            tape.Backward(loss);
            adam.Step();
            losses.Add(loss.Value.ToArray()[0]);
        }

        Assert.All(losses, l => Assert.True(float.IsFinite(l)));
        Assert.True(losses.TakeLast(5).Average() < 0.7 * losses.Take(5).Average(), $"the loss did not fall: {string.Join(", ", losses)}");

        // Zero-shot: a batch with an anomaly pattern never seen in training (stripes) scores its anomalies above its normals.
        var (test, truth) = Task(new SeededRandom(9), 24, 6, checkerboard: false);
        var scores = Scores(backend, model, test);
        var normalMean = scores.Where((_, i) => truth[i] == 0).Average();
        var anomalyMean = scores.Where((_, i) => truth[i] == 1).Average();
        Assert.True(anomalyMean > normalMean, $"anomalies scored {anomalyMean}, normals {normalMean}");

        // The state round-trips by name into a model built from the same spec with another seed (what the model file does).
        using var loaded = (DeepSvddModel)new DeepSvddDetector().CreateModel(new DetectorModelSpec(Size * Size, Options(), seed: 99), backend);
        var saved = model.State().ToDictionary(s => s.Name, s => s.Tensor.ToArray());
        foreach (var s in loaded.State())
        {
            backend.Upload(saved[s.Name], s.Tensor);
        }

        TestData.AssertBitIdentical(scores, Scores(backend, loaded, test), "scores after the round trip");
    }

    [Fact]
    public void Conv_network_refuses_a_missing_or_wrong_image_shape()
    {
        using var backend = new CpuBackend(1);
        var detector = new DeepSvddDetector();
        var e = Assert.Throws<ArgumentException>(() => detector.CreateModel(new DetectorModelSpec(64, Options(shape: ""), 1), backend));
        Assert.Contains("--option input-shape=CxHxW", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => detector.CreateModel(new DetectorModelSpec(64, Options(shape: "3x8x8"), 1), backend));
        Assert.Contains("192 values per row, but the data has 64", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => detector.CreateModel(new DetectorModelSpec(64, Options(shape: "8 by 8"), 1), backend));
        Assert.Contains("e.g. 1x28x28", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => detector.CreateModel(new DetectorModelSpec(64, Options(network: "resnet"), 1), backend));
        Assert.Contains("mlp", e.Message, StringComparison.Ordinal);
    }

    private static float[] Scores(ComputeBackend backend, DeepSvddModel model, float[] images)
    {
        var rows = images.Length / (Size * Size);
        using var segments = BatchSegments.Whole(backend, rows);
        using var tape = new Tape(backend, recording: false);
        var terms = model.Forward(tape, tape.Input(images, TensorShape.Matrix(rows, Size * Size)), ForwardContext.ZeroShot(segments));
        return terms.Score.Value.ToArray();
    }
}
