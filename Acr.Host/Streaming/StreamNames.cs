using System.Text.RegularExpressions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Acr.Host.Streaming;

/// <summary>
/// The JetStream layout of one scoring stream <c>S</c>: batches are published to <c>S.batches.RUN</c> in the
/// work-queue stream <c>S</c> (file storage; each message is removed once a worker acks it), read by the durable pull
/// consumer <c>acr-workers</c> that every worker shares; scores go to <c>S.results.RUN.scores</c> and each run's
/// manifest to <c>S.results.RUN.manifest</c> in the stream <c>S_SCORES</c> (file storage, kept 7 days), so one filter,
/// <c>S.results.RUN.*</c>, reads a run's results (nats-server 2.9 allows one filter subject per consumer). Both streams de-duplicate by
/// <c>Nats-Msg-Id</c> over <see cref="DuplicateWindow"/>, so a batch re-sent or re-scored after a failure is stored once.
/// </summary>
public sealed partial class StreamNames
{
    /// <summary>How long JetStream remembers message ids for de-duplication.</summary>
    public static readonly TimeSpan DuplicateWindow = TimeSpan.FromMinutes(20);

    /// <summary>The layout of stream <paramref name="stream"/>.</summary>
    /// <param name="stream">Letters, digits, '-' and '_', at most 32 characters.</param>
    /// <exception cref="AcrUsageException">The name is not allowed.</exception>
    public StreamNames(string stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!Token().IsMatch(stream) || stream.Length > 32)
        {
            throw new AcrUsageException($"--stream '{stream}': a stream name is 1–32 letters, digits, '-' or '_' (JetStream names allow no '.', '*', '>' or spaces).");
        }

        Stream = stream;
    }

    /// <summary>The name given (also the work-queue stream's name).</summary>
    public string Stream { get; }

    /// <summary>The stream that holds the scores and run manifests.</summary>
    public string ResultsStream => Stream + "_SCORES";

    /// <summary>The durable consumer all workers share.</summary>
    public const string Consumer = "acr-workers";

    /// <summary>Where run <paramref name="run"/>'s batches are published.</summary>
    public string Batches(string run) => $"{Stream}.batches.{CheckRun(run)}";

    /// <summary>Where run <paramref name="run"/>'s scores are published.</summary>
    public string Scores(string run) => $"{Stream}.results.{CheckRun(run)}.scores";

    /// <summary>Where run <paramref name="run"/>'s manifest (its batch and row counts) is published.</summary>
    public string Manifest(string run) => $"{Stream}.results.{CheckRun(run)}.manifest";

    /// <summary>The filter that matches run <paramref name="run"/>'s scores and manifest.</summary>
    public string Results(string run) => $"{Stream}.results.{CheckRun(run)}.*";

    /// <summary>Checks a run id: letters, digits, '-' and '_', at most 64 characters.</summary>
    /// <exception cref="AcrUsageException">The id is not allowed.</exception>
    public static string CheckRun(string run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!Token().IsMatch(run) || run.Length > 64)
        {
            throw new AcrUsageException($"--run '{run}': a run id is 1–64 letters, digits, '-' or '_'.");
        }

        return run;
    }

    /// <summary>A new run id: the UTC time and 8 random hex digits.</summary>
    public static string NewRun() => $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Creates both streams and the workers' consumer, or checks that they exist as expected (idempotent).</summary>
    /// <param name="js">The JetStream context.</param>
    /// <param name="ackWait">How long a worker may hold a batch before JetStream redelivers it to another.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="AcrUsageException">JetStream is not enabled, or a stream of that name exists with another layout.</exception>
    public async Task EnsureAsync(INatsJSContext js, TimeSpan ackWait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(js);
        await EnsureStreamsAsync(js, cancellationToken).ConfigureAwait(false);
        try
        {
            await js.CreateOrUpdateConsumerAsync(Stream, new ConsumerConfig(Consumer)
            {
                AckPolicy = ConsumerConfigAckPolicy.Explicit,
                AckWait = ackWait,
                MaxDeliver = -1, // a batch is never dropped for being redelivered often: a worker that cannot score it answers with an error
                MaxAckPending = 10_000,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e)
        {
            throw new AcrUsageException($"Cannot create the consumer '{Consumer}' on stream '{Stream}': {e.Error.Description} (JetStream error {e.Error.ErrCode}).", e);
        }
    }

    /// <summary>Creates both streams, or checks that they exist as expected (what submit and collect need).</summary>
    /// <param name="js">The JetStream context.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="AcrUsageException">JetStream is not enabled, or a stream of that name exists with another layout.</exception>
    public async Task EnsureStreamsAsync(INatsJSContext js, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(js);
        await Create(js, new StreamConfig(Stream, [$"{Stream}.batches.>"])
        {
            Retention = StreamConfigRetention.Workqueue,
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
        }, cancellationToken).ConfigureAwait(false);
        await Create(js, new StreamConfig(ResultsStream, [$"{Stream}.results.>"])
        {
            Retention = StreamConfigRetention.Limits,
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
            MaxAge = TimeSpan.FromDays(7),
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task Create(INatsJSContext js, StreamConfig config, CancellationToken cancellationToken)
    {
        try
        {
            await js.CreateOrUpdateStreamAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e)
        {
            throw new AcrUsageException(
                $"Cannot create or update the JetStream stream '{config.Name}': {e.Error.Description} (JetStream error {e.Error.ErrCode}). " +
                "If a stream of that name exists for something else, pick another --stream.", e);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex Token();
}

/// <summary>The headers of Acr's batch, score and manifest messages.</summary>
public static class StreamHeaders
{
    /// <summary>The run a message belongs to.</summary>
    public const string Run = "Acr-Run";

    /// <summary>The batch's 0-based index in its run.</summary>
    public const string Batch = "Acr-Batch";

    /// <summary>The data row of the batch's first row (0-based, in the submitted file).</summary>
    public const string FirstRow = "Acr-First-Row";

    /// <summary>Rows in the batch.</summary>
    public const string Rows = "Acr-Rows";

    /// <summary>On a manifest: the run's batch count.</summary>
    public const string Batches = "Acr-Batches";

    /// <summary>On scores: the model version (first 12 hex digits of the model file's SHA-256).</summary>
    public const string ModelVersion = "Acr-Model-Version";

    /// <summary>On scores: the worker that scored the batch.</summary>
    public const string Worker = "Acr-Worker";

    /// <summary>On scores: why the batch could not be scored (then the body is empty).</summary>
    public const string Error = "Acr-Error";

    /// <summary>The message id JetStream de-duplicates by.</summary>
    public static string BatchId(string run, long batch) => $"{run}.{batch.ToString(CultureInfo.InvariantCulture)}";
}
