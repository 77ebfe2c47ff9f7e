using System.Text;
using Acr.Host.Scoring.Streaming;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Acr.Host.Streaming;

/// <summary>What <see cref="StreamSubmitter.SubmitAsync"/> sent.</summary>
/// <param name="Run">The run id (pass it to collect).</param>
/// <param name="Batches">Batches published.</param>
/// <param name="Rows">Rows published.</param>
/// <param name="Duplicates">Publishes JetStream recognised as already stored (a resubmitted run).</param>
public sealed record SubmitSummary(string Run, int Batches, long Rows, int Duplicates);

/// <summary>
/// <c>acr submit</c>: reads a data file (CSV, Parquet or Arrow) row by row, never whole, cuts it into batches of
/// <c>batchSize</c> rows, and publishes each as one message to the run's batch subject: a CSV with a header row (the
/// file's feature columns; workers match them to the model's by name), with <c>Nats-Msg-Id</c> = run.batch, so a
/// batch re-sent after a lost acknowledgement is stored once. Every publish is confirmed by JetStream's
/// acknowledgement (up to 64 are awaited at once); transient failures (the server restarting) are retried until
/// <c>retryFor</c> has passed. A manifest with the batch
/// and row counts is published last, so collect knows when a run is complete.
/// </summary>
public static class StreamSubmitter
{
    /// <summary>Most rows per batch.</summary>
    public const int MaxBatchSize = 65_536;

    /// <summary>Publishes awaiting their acknowledgement at once.</summary>
    private const int InFlight = 64;

    /// <summary>Publishes <paramref name="data"/> as run <paramref name="run"/>.</summary>
    /// <param name="js">The JetStream context.</param>
    /// <param name="names">The stream.</param>
    /// <param name="run">The run id (<see cref="StreamNames.NewRun"/> for a fresh one).</param>
    /// <param name="data">The data file.</param>
    /// <param name="options">Label, group and dropped columns to leave out, header and delimiter.</param>
    /// <param name="batchSize">Rows per batch, 2 to <see cref="MaxBatchSize"/> (the last batch may be smaller; a last row alone joins the batch before).</param>
    /// <param name="retryFor">How long to keep retrying one publish while the server is unreachable.</param>
    /// <param name="cancellationToken">Stops submitting (the batches sent stay; the manifest is not sent).</param>
    /// <exception cref="AcrUsageException">An argument is out of range, or a batch is larger than the server accepts.</exception>
    /// <exception cref="AcrDataException">The file is malformed.</exception>
    public static async Task<SubmitSummary> SubmitAsync(INatsJSContext js, StreamNames names, string run, string data, CsvReadOptions options,
        int batchSize, TimeSpan retryFor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(names);
        StreamNames.CheckRun(run);
        if (batchSize is < 2 or > MaxBatchSize)
        {
            throw new AcrUsageException($"--batch-size must be between 2 and {MaxBatchSize}; got {batchSize}. A batch is centred by its own batch-norm statistics, so it needs at least 2 rows.");
        }

        await names.EnsureStreamsAsync(js, cancellationToken).ConfigureAwait(false);
        var maxPayload = js.Connection.ServerInfo?.MaxPayload ?? 1 << 20;
        using var source = ScoreSources.Open(data, options);
        var features = source.FeatureNames;
        source.SelectColumns(Enumerable.Range(0, features.Count).ToArray());
        var header = string.Join(',', features.Select(CsvField));
        var row = new float[features.Count];
        var (batches, duplicates) = (0, 0);
        long rows = 0;

        // Up to InFlight publishes wait for their acknowledgements at once (order does not matter: each batch carries
        // its index); a failure surfaces at the latest when the last ones are awaited.
        var inFlight = new Queue<Task<bool>>();

        async Task Publish(List<float[]> batch)
        {
            var body = Encode(header, batch);
            if (body.Length > maxPayload)
            {
                throw new AcrUsageException($"A batch of {batch.Count} rows is {body.Length} bytes as CSV, over the NATS server's max_payload of {maxPayload} bytes: use a smaller --batch-size (or raise max_payload on the server).");
            }

            var headers = new NatsHeaders
            {
                [StreamHeaders.Run] = run,
                [StreamHeaders.Batch] = batches.ToString(CultureInfo.InvariantCulture),
                [StreamHeaders.FirstRow] = rows.ToString(CultureInfo.InvariantCulture),
                [StreamHeaders.Rows] = batch.Count.ToString(CultureInfo.InvariantCulture),
            };
            if (inFlight.Count >= InFlight && await inFlight.Dequeue().ConfigureAwait(false))
            {
                duplicates++;
            }

            inFlight.Enqueue(StreamPublishing.PublishAsync(js, names.Batches(run), body, headers, StreamHeaders.BatchId(run, batches), retryFor, cancellationToken));
            rows += batch.Count;
            batches++;
        }

        // A full batch is held until the next one has 2 rows (or the data ends): a last batch of 1 row joins it, since
        // one row has no batch statistics.
        List<float[]>? held = null;
        var current = new List<float[]>(batchSize);
        while (source.ReadRow(row, out _, out _))
        {
            current.Add((float[])row.Clone());
            if (current.Count == 2 && held is not null)
            {
                await Publish(held).ConfigureAwait(false);
                held = null;
            }

            if (current.Count == batchSize)
            {
                held = current;
                current = new List<float[]>(batchSize);
            }
        }

        if (held is null && current.Count < 2)
        {
            throw new AcrUsageException($"'{data}' has {current.Count} data row{(current.Count == 1 ? "" : "s")}; a batch needs at least 2 (it is centred by its own batch-norm statistics).");
        }

        if (held is not null)
        {
            if (current.Count == 1)
            {
                held.AddRange(current);
                current.Clear();
            }

            await Publish(held).ConfigureAwait(false);
        }

        if (current.Count > 0)
        {
            await Publish(current).ConfigureAwait(false);
        }

        while (inFlight.Count > 0)
        {
            if (await inFlight.Dequeue().ConfigureAwait(false))
            {
                duplicates++;
            }
        }

        var manifest = new NatsHeaders
        {
            [StreamHeaders.Run] = run,
            [StreamHeaders.Batches] = batches.ToString(CultureInfo.InvariantCulture),
            [StreamHeaders.Rows] = rows.ToString(CultureInfo.InvariantCulture),
        };
        await StreamPublishing.PublishAsync(js, names.Manifest(run), [], manifest, run + ".manifest", retryFor, cancellationToken).ConfigureAwait(false);
        return new SubmitSummary(run, batches, rows, duplicates);
    }

    private static byte[] Encode(string header, List<float[]> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder(header.Length + (rows.Count * rows[0].Length * 10));
        text.Append(header).Append('\n');
        foreach (var r in rows)
        {
            for (var f = 0; f < r.Length; f++)
            {
                if (f > 0)
                {
                    text.Append(',');
                }

                text.Append(r[f].ToString("R", inv));
            }

            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string CsvField(string name) =>
        name.AsSpan().IndexOfAny(",\"\r\n") < 0 ? name : "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
