using System.Text;
using Acr.Host.Composition;
using Acr.Host.Models;
using Acr.Host.Serving;
using Acr.Nn;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Acr.Host.Streaming;

/// <summary>How an <c>acr worker</c> scores a stream.</summary>
public sealed record StreamWorkerOptions
{
    /// <summary>The model file.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Backend name (cpu, gpu, ...).</summary>
    public string Backend { get; init; } = "cpu";

    /// <summary>Backend device index, or null for the default.</summary>
    public int? Device { get; init; }

    /// <summary>Backend options (threads, ...).</summary>
    public IReadOnlyDictionary<string, string> BackendOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>How long a batch may stay unacknowledged before JetStream gives it to another worker (1 s to 10 min).</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Batches this worker holds at once (1 to 1024); the ones that arrive together share forward passes.</summary>
    public int MaxInFlight { get; init; } = 64;

    /// <summary>Most batches one forward pass merges (1 to 1024); a pass starts early once it has this many.</summary>
    public int MaxBatchesPerPass { get; init; } = 256;

    /// <summary>How long the first batch of a forward pass waits for others to share it, each its own batch-norm segment.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The name this worker signs its scores with (<c>Acr-Worker</c>).</summary>
    public string WorkerName { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Where progress and warnings go, or null.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Checks the ranges.</summary>
    /// <exception cref="AcrUsageException">A value is out of range.</exception>
    public void Validate()
    {
        if (AckWait < TimeSpan.FromSeconds(1) || AckWait > TimeSpan.FromMinutes(10))
        {
            throw new AcrUsageException($"--ack-wait must be between 1 and 600 seconds; got {AckWait.TotalSeconds}.");
        }

        if (MaxInFlight is < 1 or > 1024)
        {
            throw new AcrUsageException($"--max-in-flight must be between 1 and 1024; got {MaxInFlight}.");
        }

        if (MaxBatchesPerPass is < 1 or > 1024)
        {
            throw new AcrUsageException($"--max-pass-batches must be between 1 and 1024; got {MaxBatchesPerPass}.");
        }

        if (BatchWindow < TimeSpan.Zero || BatchWindow > TimeSpan.FromSeconds(1))
        {
            throw new AcrUsageException($"--batch-window-ms must be between 0 and 1000; got {BatchWindow.TotalMilliseconds}.");
        }
    }
}

/// <summary>What a worker did before it stopped.</summary>
/// <param name="Scored">Batches scored and acknowledged.</param>
/// <param name="Refused">Batches answered with an error (malformed, wrong columns) and acknowledged.</param>
/// <param name="Duplicates">Score publishes JetStream had already stored (a batch redelivered after another worker scored it).</param>
/// <param name="Redelivered">Batches this worker received that had been delivered before.</param>
public sealed record StreamWorkerSummary(long Scored, long Refused, long Duplicates, long Redelivered);

/// <summary>
/// <c>acr worker</c>: pulls batches from the stream's shared durable consumer, scores each zero-shot (its own batch-norm
/// statistics; batches that arrive together share one forward pass as separate segments, so each gets the scores it
/// would get alone), publishes the scores with <c>Nats-Msg-Id</c> = the batch id, and acknowledges the batch only once
/// JetStream has stored them. A worker killed at any point loses nothing: its unacknowledged batches are redelivered to
/// another worker after <see cref="StreamWorkerOptions.AckWait"/>, and a second publish of the same scores is
/// de-duplicated by JetStream. Scale out by starting more workers; nothing else changes.
/// </summary>
public sealed class StreamWorker
{
    private readonly INatsJSContext _js;
    private readonly StreamNames _names;
    private readonly StreamWorkerOptions _options;
    private readonly ComponentRegistry _registry;
    private long _scored;
    private long _refused;
    private long _duplicates;
    private long _redelivered;

    /// <summary>A worker for <paramref name="names"/>'s stream.</summary>
    /// <param name="js">The JetStream context (its connection reconnects by itself).</param>
    /// <param name="names">The stream.</param>
    /// <param name="registry">Detectors and backends.</param>
    /// <param name="options">Model, backend and limits.</param>
    public StreamWorker(INatsJSContext js, StreamNames names, ComponentRegistry registry, StreamWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (_js, _names, _registry, _options) = (js, names, registry, options);
    }

    /// <summary>Batches scored so far.</summary>
    public long Scored => Interlocked.Read(ref _scored);

    /// <summary>
    /// Loads the model, then scores batches until <paramref name="stop"/> is cancelled; then stops pulling, finishes
    /// the batches it holds (publish and ack) and returns.
    /// </summary>
    /// <param name="ready">Called once the model is loaded and the consumer exists (with the model's description).</param>
    /// <param name="stop">Stops the worker gracefully.</param>
    /// <exception cref="ModelFormatException">The model file is not an Acr model.</exception>
    public async Task<StreamWorkerSummary> RunAsync(Action<string>? ready, CancellationToken stop)
    {
        var serve = new ServeOptions
        {
            Models = [new ServedModelSource("model", _options.ModelPath)],
            Urls = [],
            Backend = _options.Backend,
            Device = _options.Device,
            BackendOptions = _options.BackendOptions,
            BatchWindow = _options.BatchWindow,
            MaxRequestsPerPass = _options.MaxBatchesPerPass,
            MaxQueuedRows = int.MaxValue,
            Log = _options.Log,
        };
        using var metrics = new ServeMetrics();
        using var model = new ModelWorker(serve.Models[0], serve, ServePlugins.Fixed(_registry), metrics);
        await model.Started.ConfigureAwait(false);
        await _names.EnsureAsync(_js, _options.AckWait, stop).ConfigureAwait(false);
        var v = model.Current;
        ready?.Invoke($"{v.Model.Config.Detector}, {v.FeatureNames.Count} features, version {v.Version}");

        using var slots = new SemaphoreSlim(_options.MaxInFlight);
        var running = new HashSet<Task>();
        var pause = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var consumer = await _js.GetConsumerAsync(_names.Stream, StreamNames.Consumer, stop).ConfigureAwait(false);
                await foreach (var msg in consumer.ConsumeAsync<byte[]>(opts: new NatsJSConsumeOpts { MaxMsgs = _options.MaxInFlight }, cancellationToken: stop).ConfigureAwait(false))
                {
                    await slots.WaitAsync(stop).ConfigureAwait(false);
                    var task = HandleAsync(msg, model);
                    lock (running)
                    {
                        running.Add(task);
                    }

                    _ = task.ContinueWith(t =>
                    {
                        lock (running)
                        {
                            running.Remove(t);
                        }

                        slots.Release();
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    pause = TimeSpan.FromMilliseconds(100);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (StreamPublishing.IsTransient(e) || e is NatsJSException)
            {
                // The server went away (restart, network): the connection reconnects by itself; pull again once it is back.
                _options.Log?.WriteLine($"warning: worker {_options.WorkerName}: pulling stopped ({e.GetType().Name}: {e.Message}); retrying in {pause.TotalMilliseconds:0} ms");
                try
                {
                    await Task.Delay(pause, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 2000));
            }
        }

        Task[] left;
        lock (running)
        {
            left = [.. running];
        }

        await Task.WhenAll(left).ConfigureAwait(false); // drain: what this worker holds is published and acked (or left to redelivery)
        return new StreamWorkerSummary(Scored, Interlocked.Read(ref _refused), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _redelivered));
    }

    private async Task HandleAsync(INatsJSMsg<byte[]> msg, ModelWorker model)
    {
        try
        {
            if (msg.Metadata is { NumDelivered: > 1 })
            {
                Interlocked.Increment(ref _redelivered);
            }

            var headers = msg.Headers;
            if (headers is null || !headers.TryGetValue(StreamHeaders.Run, out var runValue) || !headers.TryGetValue(StreamHeaders.Batch, out var batchValue)
                || !long.TryParse(batchValue, NumberStyles.None, CultureInfo.InvariantCulture, out var batch))
            {
                // Not an Acr batch: there is no run to answer to. Terminate it, so it is not redelivered forever.
                _options.Log?.WriteLine($"warning: worker {_options.WorkerName}: a message on {msg.Subject} has no {StreamHeaders.Run}/{StreamHeaders.Batch} headers (not sent by acr submit); dropped");
                await msg.AckTerminateAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _refused);
                return;
            }

            var run = runValue.ToString();
            var answer = new NatsHeaders
            {
                [StreamHeaders.Run] = run,
                [StreamHeaders.Batch] = batchValue,
                [StreamHeaders.Worker] = _options.WorkerName,
            };
            if (headers.TryGetValue(StreamHeaders.FirstRow, out var first))
            {
                answer[StreamHeaders.FirstRow] = first;
            }

            byte[] body;
            try
            {
                var (scores, version) = await ScoreAsync(msg.Data ?? [], model).ConfigureAwait(false);
                answer[StreamHeaders.ModelVersion] = version;
                answer[StreamHeaders.Rows] = scores.Length.ToString(CultureInfo.InvariantCulture);
                body = EncodeScores(scores);
            }
            catch (ServeProblem p)
            {
                answer[StreamHeaders.Error] = p.Message.ReplaceLineEndings(" ");
                body = [];
            }

            var duplicate = await StreamPublishing.PublishAsync(_js, _names.Scores(run), body, answer, StreamHeaders.BatchId(run, batch), _options.AckWait, CancellationToken.None).ConfigureAwait(false);
            if (duplicate)
            {
                Interlocked.Increment(ref _duplicates);
            }

            await msg.AckAsync(new AckOpts { DoubleAck = true }, CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref answer.ContainsKey(StreamHeaders.Error) ? ref _refused : ref _scored);
        }
        catch (Exception e) when (StreamPublishing.IsTransient(e) || e is NatsJSException)
        {
            // Not acknowledged: JetStream redelivers the batch after the ack wait, and the scores, if they were stored,
            // are stored once (same message id).
            _options.Log?.WriteLine($"warning: worker {_options.WorkerName}: batch on {msg.Subject} left for redelivery ({e.GetType().Name}: {e.Message})");
        }
    }

    private static async Task<(float[] Scores, string Version)> ScoreAsync(byte[] data, ModelWorker model)
    {
        var table = BatchReaders.ReadCsv(data, data.Length, StreamSubmitter.MaxBatchSize + 1);
        using var lease = model.Acquire();
        var version = lease.Version;
        var source = table.MatchColumns(version.FeatureNames, ignoreOtherNamedColumns: true);
        if (table.Rows < 2)
        {
            throw ServeProblem.BadBatch("too-few-rows", "A batch needs at least 2 rows.", $"The batch has {table.Rows} row(s); zero-shot scoring centres a batch by its own batch-norm statistics, which need at least 2 rows.");
        }

        var rows = version.Model.Standardizer.Transform(FeatureColumns.Reorder(table.Values, table.Columns, source));
        var scores = await model.Enqueue(new ScoreJob(version, rows, table.Rows, BatchNormMode.Batch)).ConfigureAwait(false);
        return (scores, version.Version);
    }

    /// <summary>Scores as UTF-8 text, one per line, round-trip formatted.</summary>
    internal static byte[] EncodeScores(float[] scores)
    {
        var text = new StringBuilder(scores.Length * 12);
        foreach (var s in scores)
        {
            text.Append(s.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
