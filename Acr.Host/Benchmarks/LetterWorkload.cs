using System.Diagnostics;
using Acr.Host.Composition;
using Acr.Host.Evaluation;
using Acr.Host.Preprocessing;
using Acr.Host.Scoring;
using Acr.Host.Training;
using Acr.Nn;
using Acr.Numerics;

namespace Acr.Host.Benchmarks;

/// <summary>
/// The one benchmark workload, shared by <c>acr bench</c> and the BenchmarkDotNet suite: the letter protocol's
/// meta-training iteration (32 tasks × 256 rows, Deep SVDD with its default options, seed 0 by default, task sampling outside the
/// timed step as in <c>bench/torch_acr_iteration.py</c>) and zero-shot scoring of 1000-row batches, one per call or 16 per
/// call as segments.
/// </summary>
public sealed class LetterWorkload : IDisposable
{
    /// <summary>Batches per call of the segmented scoring measure.</summary>
    public const int SegmentedBatches = 16;

    private readonly DetectorModel _model;
    private readonly MetaTrainingSession _session;
    private readonly ZeroShotScorer _scorer;
    private readonly float[] _batch;
    private readonly float[] _batches;
    private readonly float[] _scores;
    private readonly float[] _segmentedScores;
    private readonly BatchSegments _one;
    private readonly BatchSegments _many;

    /// <summary>Builds the workload on <paramref name="backend"/>.</summary>
    /// <param name="detector">The Deep SVDD detector.</param>
    /// <param name="backend">The backend to measure.</param>
    /// <param name="scoreBatchRows">Rows per scoring batch.</param>
    /// <param name="seed">Seed of the model's initialisation and of the task sampling.</param>
    public LetterWorkload(IDetector detector, ComputeBackend backend, int scoreBatchRows = 1000, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
        var data = EmbeddedDatasets.Letter();
        var split = ClassSplit.ByLabel(data.Labels!);
        var x = Standardizer.Fit(data.Features, data.Columns, split.AllTrainRows()).Transform(data.Features);
        _model = detector.CreateModel(new DetectorModelSpec(data.Columns, DetectorOptionResolver.Resolve(detector, null), seed), backend);
        var options = new MetaTrainingOptions();
        var sampler = TaskSampler.Create(x, data.Columns, split.TrainRowsByClass, options, SeededRandom.ForStream(seed, 2));
        _session = new MetaTrainingSession(backend, _model, sampler, options);
        _scorer = new ZeroShotScorer(_model, backend);
        ScoreBatchRows = Math.Min(scoreBatchRows, data.Rows);
        _batch = x.AsSpan(0, ScoreBatchRows * data.Columns).ToArray();
        _batches = new float[SegmentedBatches * _batch.Length];
        for (var k = 0; k < SegmentedBatches; k++)
        {
            _batch.CopyTo(_batches, k * _batch.Length);
        }

        _scores = new float[ScoreBatchRows];
        _segmentedScores = new float[SegmentedBatches * ScoreBatchRows];
        _one = BatchSegments.Whole(backend, ScoreBatchRows);
        _many = BatchSegments.Uniform(backend, SegmentedBatches, ScoreBatchRows);
        _session.SampleTasks();
    }

    /// <summary>The backend measured.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>Rows per scoring batch.</summary>
    public int ScoreBatchRows { get; }

    /// <summary>Draws the next iteration's tasks (not part of <see cref="Step"/>).</summary>
    public void SampleTasks() => _session.SampleTasks();

    /// <summary>One meta-training step on the tasks last drawn, waited for; returns its loss.</summary>
    public double Step()
    {
        _session.Step();
        var loss = _session.LastLoss();
        Span<double> history = stackalloc double[_session.LossCapacity];
        _session.ReadLosses(history); // keep the device-side history from filling up
        return loss;
    }

    /// <summary>Scores one batch (one call, one segment).</summary>
    public void ScoreOne() => _scorer.Score(_batch, _one, BatchNormMode.Batch, _scores);

    /// <summary>Scores <see cref="SegmentedBatches"/> batches in one call, one segment each.</summary>
    public void ScoreSegmented() => _scorer.Score(_batches, _many, BatchNormMode.Batch, _segmentedScores);

    /// <summary>The figures <c>acr bench</c> prints.</summary>
    /// <param name="timed">Timed iterations.</param>
    /// <param name="warm">Untimed warm-up iterations.</param>
    public BenchResult Measure(int timed, int warm)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timed, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warm);
        for (var i = 0; i < warm; i++)
        {
            SampleTasks();
            Step();
        }

        var times = new double[timed];
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < timed; i++)
        {
            SampleTasks();
            var t0 = Stopwatch.GetTimestamp();
            Step();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Array.Sort(times);
        var single = Throughput(ScoreOne, ScoreBatchRows);
        var segmented = Throughput(ScoreSegmented, SegmentedBatches * ScoreBatchRows);
        return new BenchResult(Backend.Device.Name, times[timed / 2], times[0], (double)allocated / timed, single, segmented);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _scorer.Dispose();
        _session.Dispose();
        _one.Dispose();
        _many.Dispose();
        _model.Dispose();
    }

    private static double Throughput(Action score, int rowsPerCall)
    {
        for (var i = 0; i < 10; i++)
        {
            score();
        }

        var calls = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < 1.5)
        {
            score();
            calls++;
        }

        return (double)calls * rowsPerCall / clock.Elapsed.TotalSeconds;
    }
}

/// <summary>What <c>acr bench</c> measures.</summary>
/// <param name="Device">The device's name.</param>
/// <param name="IterationMsMedian">Median meta-training step, ms.</param>
/// <param name="IterationMsMin">Fastest step, ms.</param>
/// <param name="AllocatedBytesPerIteration">Managed bytes allocated per steady-state iteration.</param>
/// <param name="ScoreRowsPerSecond">Scoring throughput, one batch per call.</param>
/// <param name="ScoreRowsPerSecondSegmented">Scoring throughput, 16 batches per call.</param>
public sealed record BenchResult(string Device, double IterationMsMedian, double IterationMsMin, double AllocatedBytesPerIteration,
    double ScoreRowsPerSecond, double ScoreRowsPerSecondSegmented);
