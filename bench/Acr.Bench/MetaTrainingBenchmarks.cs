using Acr.Backends.Cpu;
using Acr.Compute;
using Acr.Detectors;
using Acr.Detectors.DeepSvdd;
using Acr.Host.Composition;
using Acr.Host.Data;
using Acr.Host.Evaluation;
using Acr.Host.Preprocessing;
using Acr.Host.Scoring;
using Acr.Host.Training;
using Acr.Nn;
using Acr.Numerics;
using BenchmarkDotNet.Attributes;

namespace Acr.Bench;

/// <summary>
/// The letter protocol end to end: one ACR meta-training step (32 tasks × 256 rows forwarded in one
/// pass, backward, Adam; the tasks are drawn once in setup, as bench/torch_acr_iteration.py draws them
/// outside its timed region), task sampling on its own, and zero-shot scoring of one 1000-row batch.
/// Compare with `python3 bench/torch_acr_iteration.py` run on the same machine (bench/compare-with-torch.sh).
/// </summary>
[MemoryDiagnoser]
public class MetaTrainingBenchmarks
{
    private ComputeBackend _backend = null!;
    private DetectorModel _model = null!;
    private MetaTrainingSession _session = null!;
    private ZeroShotScorer _scorer = null!;
    private float[] _scoreBatch = null!;
    private float[] _scores = null!;
    private BatchSegments _one = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var data = EmbeddedDatasets.Letter();
        var split = ClassSplit.ByLabel(data.Labels!);
        var x = Standardizer.Fit(data.Features, data.Columns, split.AllTrainRows()).Transform(data.Features);
        _backend = new CpuBackend(Threads);
        var detector = new DeepSvddDetector();
        _model = detector.CreateModel(new DetectorModelSpec(data.Columns, DetectorOptionResolver.Resolve(detector, null), 0), _backend);
        var options = new MetaTrainingOptions();
        var sampler = TaskSampler.Create(x, data.Columns, split.TrainRowsByClass, options, SeededRandom.ForStream(0, 2));
        _session = new MetaTrainingSession(_backend, _model, sampler, options);
        _session.SampleTasks();
        _scorer = new ZeroShotScorer(_model, _backend);
        _scoreBatch = x.AsSpan(0, 1000 * data.Columns).ToArray();
        _scores = new float[1000];
        _one = BatchSegments.Whole(_backend, 1000);
    }

    [Benchmark(Description = "meta-training step, 32 tasks x 256 rows")]
    public double Step()
    {
        _session.Step();
        return _session.LastLoss();
    }

    [Benchmark(Description = "draw 32 tasks x 256 rows")]
    public void SampleTasks() => _session.SampleTasks();

    [Benchmark(Description = "zero-shot score one 1000-row batch")]
    public float Score()
    {
        _scorer.Score(_scoreBatch, _one, BatchNormMode.Batch, _scores);
        return _scores[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scorer.Dispose();
        _session.Dispose();
        _model.Dispose();
        _backend.Dispose();
    }
}
