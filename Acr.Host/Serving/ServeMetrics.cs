using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Acr.Host.Serving;

/// <summary>
/// The server's instruments (meter <see cref="MeterName"/>), exported at <c>/metrics</c> in the Prometheus text format:
/// requests by model and status, request latency, and per forward pass its rows, segments (requests merged), duration and
/// the queue wait of each request in it; model reloads by outcome.
/// </summary>
internal sealed class ServeMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Acr.Serve";

    private static readonly double[] SecondsBuckets = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
    private readonly Meter _meter = new(MeterName, ModelStoreVersion());
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<long> _passRows;
    private readonly Histogram<long> _passSegments;
    private readonly Histogram<double> _passDuration;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _reloads;

    public ServeMetrics()
    {
        _requests = _meter.CreateCounter<long>("acr.serve.requests", "{request}", "Scoring requests answered, by model and HTTP status.");
        _requestDuration = _meter.CreateHistogram("acr.serve.request.duration", "s", "Scoring request latency, from the request's start to its response, by model and status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _passRows = _meter.CreateHistogram("acr.serve.pass.rows", "{row}", "Rows per forward pass (all merged requests).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [2, 16, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 65536] });
        _passSegments = _meter.CreateHistogram("acr.serve.pass.segments", "{segment}", "Requests (batch-norm segments) merged into one forward pass.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
        _passDuration = _meter.CreateHistogram("acr.serve.pass.duration", "s", "Forward pass time (merge, score, split).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _queueWait = _meter.CreateHistogram("acr.serve.queue.wait", "s", "Time a request waited between being queued and its forward pass starting (includes the batching window).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _reloads = _meter.CreateCounter<long>("acr.serve.model.reloads", "{reload}", "Model files re-read after a change on disk, by outcome (swapped, unchanged, failed).");
    }

    /// <summary>Observes the rows waiting per model (an observable gauge).</summary>
    public void ObserveQueues(Func<IEnumerable<Measurement<long>>> observe) =>
        _meter.CreateObservableGauge("acr.serve.queue.rows", observe, "{row}", "Rows waiting to be scored, by model.");

    public void Request(string model, int status, long startTimestamp)
    {
        var tags = new TagList { { "model", model }, { "status", status } };
        _requestDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        _requests.Add(1, tags);
    }

    public void Pass(string model, int rows, int segments, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        _passRows.Record(rows, tag);
        _passSegments.Record(segments, tag);
        _passDuration.Record(duration.TotalSeconds, tag);
    }

    public void QueueWait(string model, TimeSpan wait) => _queueWait.Record(wait.TotalSeconds, new KeyValuePair<string, object?>("model", model));

    public void Reload(string model, string outcome) =>
        _reloads.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose() => _meter.Dispose();

    private static string ModelStoreVersion() => Models.ModelStore.AcrVersion;
}
