using Acr.Autograd;
using Acr.Compute;
using Acr.Detectors;
using Acr.Nn;
using Acr.Plugins;
using Acr.Tensors;
using MyDetector;

namespace MyDetector.Tests;

/// <summary>The detector on the contract's scalar reference backend: registration, the terms' formulas, determinism, batch norm.</summary>
public sealed class MyDetectorTests : IDisposable
{
    private const int Rows = 12;
    private const int Features = 5;
    private readonly ReferenceBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void Register_adds_the_detector_under_its_name()
    {
        var registry = new RecordingRegistry();
        new MyDetectorPlugin().Register(registry);
        var detector = Assert.Single(registry.Detectors);
        Assert.Equal("MY_DETECTOR_NAME", detector.Name);
        Assert.Equal(["hidden", "embedding", "epsilon"], detector.Options.Select(o => o.Name));
    }

    [Fact]
    public void Score_is_the_squared_distance_and_the_anomaly_term_its_shifted_reciprocal()
    {
        var (normal, anomaly, score) = Run(Batch(), seed: 7);
        Assert.All(score, s => Assert.True(float.IsFinite(s) && s >= 0, $"score {s}"));
        Assert.Equal(score, normal);
        for (var i = 0; i < Rows; i++)
        {
            Assert.Equal(1.0 / (score[i] + 1e-6), anomaly[i], 1e-4 * anomaly[i]);
        }

        Assert.True(score.Distinct().Count() > 1, "every row got the same score");
    }

    [Fact]
    public void Initialisation_is_a_pure_function_of_the_seed()
    {
        var x = Batch();
        Assert.Equal(Run(x, seed: 3).Score, Run(x, seed: 3).Score);
        Assert.NotEqual(Run(x, seed: 3).Score, Run(x, seed: 4).Score);
    }

    [Fact]
    public void Batch_norm_makes_scores_invariant_to_shifting_the_whole_batch()
    {
        // Linear(x + b) = Wx + Wb: a per-unit constant over the batch, which the batch norm after it subtracts.
        var x = Batch();
        var shifted = x.Select((v, i) => v + (i % Features) * 10f - 20f).ToArray();
        var a = Run(x, seed: 11).Score;
        var b = Run(shifted, seed: 11).Score;
        for (var i = 0; i < Rows; i++)
        {
            Assert.Equal(a[i], b[i], 1e-3 * Math.Max(1, a[i]));
        }
    }

    [Fact]
    public void An_invalid_option_is_refused_naming_it()
    {
        var options = Options(hidden: "0");
        var e = Assert.ThrowsAny<ArgumentException>(() => new MyDetectorDetector().CreateModel(new DetectorModelSpec(Features, options, 1), _backend));
        Assert.Contains("hidden", e.Message, StringComparison.Ordinal);
    }

    private (float[] Normal, float[] Anomaly, float[] Score) Run(float[] rows, ulong seed)
    {
        using var model = new MyDetectorDetector().CreateModel(new DetectorModelSpec(Features, Options(), seed), _backend);
        using var tape = new Tape(_backend, recording: false);
        var x = tape.Input(rows, TensorShape.Matrix(Rows, Features));
        using var whole = BatchSegments.Whole(_backend, Rows);
        var terms = model.Forward(tape, x, ForwardContext.ZeroShot(whole));
        return (Read(terms.NormalTerm), Read(terms.AnomalyTerm), Read(terms.Score));
    }

    private float[] Read(Variable v)
    {
        var values = new float[Rows];
        _backend.Download(v.Value, values);
        return values;
    }

    private static Dictionary<string, string> Options(string hidden = "64") =>
        new() { ["hidden"] = hidden, ["embedding"] = "16", ["epsilon"] = "1e-6" };

    private static float[] Batch()
    {
        var random = new Random(1);
        return Enumerable.Range(0, Rows * Features).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }

    private sealed class RecordingRegistry : IPluginRegistry
    {
        public List<IDetector> Detectors { get; } = [];

        public void AddDetector(IDetector detector) => Detectors.Add(detector);

        public void AddBackend(IBackendProvider provider) => throw new InvalidOperationException("a detector plugin registers no backend");

        public void AddOp(ComputeOp op) => throw new InvalidOperationException("this plugin registers no op");

        public void AddKernel<TArgs>(string backend, ComputeOp<TArgs> op, Func<ComputeBackend, IKernel<TArgs>> factory)
            where TArgs : struct => throw new InvalidOperationException("this plugin registers no kernel");
    }
}
