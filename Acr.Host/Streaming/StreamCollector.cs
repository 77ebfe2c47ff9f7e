using Acr.Host.Reports;
using NATS.Client.JetStream;

namespace Acr.Host.Streaming;

/// <summary>What <see cref="StreamCollector.CollectAsync"/> gathered.</summary>
/// <param name="Batches">Batches in the run (from its manifest).</param>
/// <param name="Rows">Rows written.</param>
/// <param name="Duplicates">Score messages dropped because their batch was already collected (each batch is written once).</param>
/// <param name="Workers">Batches scored per worker.</param>
public sealed record CollectSummary(int Batches, long Rows, int Duplicates, IReadOnlyDictionary<string, int> Workers);

/// <summary>
/// <c>acr collect</c>: reads a run's manifest and score messages from the results stream (an ordered consumer, so a
/// server restart resumes where it left off), keeps one answer per batch, and when every batch of the manifest has its
/// scores writes <c>scores.csv</c> (row, batch, score; rows in file order) atomically. A run with a refused batch, or
/// not complete within the timeout, writes nothing and says which batches are missing or why they were refused.
/// </summary>
public static class StreamCollector
{
    /// <summary>Most batches a run may have for collect (a bound on its memory: the scores are held until written).</summary>
    public const int MaxBatches = 10_000_000;

    /// <summary>Collects run <paramref name="run"/> into <paramref name="outPath"/>.</summary>
    /// <param name="js">The JetStream context.</param>
    /// <param name="names">The stream.</param>
    /// <param name="run">The run id submit printed.</param>
    /// <param name="outPath">The scores file to write (CSV).</param>
    /// <param name="timeout">How long to wait for the run to complete.</param>
    /// <param name="cancellationToken">Stops waiting (nothing is written).</param>
    /// <exception cref="AcrUsageException">The run is incomplete after the timeout, has refused batches, or has no manifest.</exception>
    public static async Task<CollectSummary> CollectAsync(INatsJSContext js, StreamNames names, string run, string outPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(names);
        StreamNames.CheckRun(run);
        await names.EnsureStreamsAsync(js, cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var results = new Dictionary<long, (long FirstRow, float[] Scores)>();
        var refused = new SortedDictionary<long, string>();
        var workers = new Dictionary<string, int>(StringComparer.Ordinal);
        long? batches = null;
        var duplicates = 0;
        try
        {
            var consumer = await js.CreateOrderedConsumerAsync(names.ResultsStream, new NatsJSOrderedConsumerOpts { FilterSubjects = [names.Results(run)] }, deadline.Token).ConfigureAwait(false);
            await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: deadline.Token).ConfigureAwait(false))
            {
                var h = msg.Headers;
                if (h is null || !h.TryGetValue(StreamHeaders.Run, out var r) || r != run)
                {
                    continue; // not this run's (a filter the server did not apply)
                }

                if (msg.Subject == names.Manifest(run))
                {
                    batches = long.Parse(h![StreamHeaders.Batches]!, CultureInfo.InvariantCulture);
                    if (batches > MaxBatches)
                    {
                        throw new AcrUsageException($"Run '{run}' has {batches} batches, more than collect holds ({MaxBatches}); submit it in parts.");
                    }
                }
                else if (h.TryGetValue(StreamHeaders.Batch, out var b) && long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var batch))
                {
                    if (results.ContainsKey(batch) || refused.ContainsKey(batch))
                    {
                        duplicates++;
                    }
                    else if (h.TryGetValue(StreamHeaders.Error, out var error))
                    {
                        refused[batch] = error.ToString();
                    }
                    else
                    {
                        var first = h.TryGetValue(StreamHeaders.FirstRow, out var f) ? long.Parse(f!, CultureInfo.InvariantCulture) : -1;
                        results[batch] = (first, DecodeScores(msg.Data ?? []));
                        var worker = h.TryGetValue(StreamHeaders.Worker, out var w) ? w.ToString() : "?";
                        workers[worker] = workers.GetValueOrDefault(worker) + 1;
                    }
                }

                if (batches is { } n && results.Count + refused.Count >= n)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // the timeout: reported below with what is missing
        }

        if (batches is null)
        {
            throw new AcrUsageException($"Run '{run}' has no manifest in stream '{names.ResultsStream}' after {timeout.TotalSeconds:0.#} s: " +
                $"its submit did not finish (or the run id is wrong). {results.Count} batches of it have scores so far.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (refused.Count > 0)
        {
            var list = string.Join("; ", refused.Take(5).Select(r => $"batch {r.Key}: {r.Value}"));
            throw new AcrUsageException($"Run '{run}': {refused.Count} of {batches} batches were refused by the workers ({list}{(refused.Count > 5 ? "; …" : "")}). Nothing was written; fix the data and submit it again.");
        }

        if (results.Count < batches)
        {
            var missing = Enumerable.Range(0, (int)batches.Value).Where(i => !results.ContainsKey(i)).Take(10).ToArray();
            throw new AcrUsageException($"Run '{run}': {results.Count} of {batches} batches have scores after {timeout.TotalSeconds:0.#} s (missing: {string.Join(", ", missing)}{(batches - results.Count > 10 ? ", …" : "")}). " +
                "Are workers running (acr worker --stream …)? Nothing was written; run collect again to keep waiting.");
        }

        long rows = 0;
        ScoresCsv.Write(outPath, ScoresCsv.Columns.Scoring, Records());
        return new CollectSummary((int)batches.Value, rows, duplicates, workers);

        IEnumerable<ScoresCsv.Record> Records()
        {
            for (long b = 0; b < batches; b++)
            {
                var (first, scores) = results[b];
                var batchId = b.ToString(CultureInfo.InvariantCulture);
                for (var i = 0; i < scores.Length; i++)
                {
                    rows++;
                    yield return new ScoresCsv.Record(checked((int)(first + i)), batchId, scores[i]);
                }
            }
        }
    }

    private static float[] DecodeScores(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Select(l => float.Parse(l, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
    }
}
