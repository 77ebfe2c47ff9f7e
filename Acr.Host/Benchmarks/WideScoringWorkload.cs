using System.Diagnostics;
using Acr.Host.Composition;
using Acr.Host.Scoring;
using Acr.Nn;

namespace Acr.Host.Benchmarks;

/// <summary>
/// The scoring row of the GPU benchmark table (<c>acr bench --kernels</c>): zero-shot scoring of 1000-row ×
/// 570-feature batches from host memory, 16 batches per call as segments, through Deep SVDD with its default options
/// (an untrained model on standard-normal rows: the work does not depend on the values).
/// </summary>
public sealed class WideScoringWorkload : IDisposable
{
    /// <summary>Features per row.</summary>
    public const int Features = 570;

    /// <summary>Rows per batch.</summary>
    public const int BatchRows = 1000;

    /// <summary>Batches per call.</summary>
    public const int Batches = 16;

    private readonly DetectorModel _model;
    private readonly ZeroShotScorer _scorer;
    private readonly BatchSegments _segments;
    private readonly float[] _rows = new float[Batches * BatchRows * Features];
    private readonly float[] _scores = new float[Batches * BatchRows];

    /// <summary>Builds the model and the batches on <paramref name="backend"/>.</summary>
    /// <param name="detector">The Deep SVDD detector.</param>
    /// <param name="backend">The backend to measure.</param>
    public WideScoringWorkload(IDetector detector, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(backend);
        _model = detector.CreateModel(new DetectorModelSpec(Features, DetectorOptionResolver.Resolve(detector, null), 0), backend);
        _scorer = new ZeroShotScorer(_model, backend);
        _segments = BatchSegments.Uniform(backend, Batches, BatchRows);
        var random = new Acr.Numerics.SeededRandom(3);
        for (var i = 0; i < _rows.Length; i++)
        {
            _rows[i] = (float)random.NextNormal();
        }
    }

    /// <summary>Rows scored per second (after a warm-up, over at least <paramref name="minSeconds"/>).</summary>
    /// <param name="minSeconds">Timed seconds.</param>
    public double Measure(double minSeconds = 1.5)
    {
        for (var i = 0; i < 3; i++)
        {
            Score();
        }

        var calls = 0;
        var clock = Stopwatch.StartNew();
        while (calls < 3 || clock.Elapsed.TotalSeconds < minSeconds)
        {
            Score();
            calls++;
        }

        return (double)calls * Batches * BatchRows / clock.Elapsed.TotalSeconds;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _scorer.Dispose();
        _segments.Dispose();
        _model.Dispose();
    }

    private void Score() => _scorer.Score(_rows, _segments, BatchNormMode.Batch, _scores);
}
