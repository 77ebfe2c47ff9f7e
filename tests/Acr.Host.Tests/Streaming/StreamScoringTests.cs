using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Acr.Host.Streaming;
using Acr.Host.Tests.Serving;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Xunit.Abstractions;

namespace Acr.Host.Tests.Streaming;

/// <summary>
/// Stream scoring on a real nats-server with file storage: submit → workers → collect gives every row the score its
/// batch gets scored alone, exactly once, when a worker is SIGKILLed mid-stream and when the server restarts mid-stream.
/// </summary>
[Collection(ServeTestGroup.Name)]
public sealed partial class StreamScoringTests(ServeModels models, ITestOutputHelper output)
{
    private const int BatchRows = 16;

    [NatsFact]
    public async Task Two_in_process_workers_score_every_batch_exactly_as_scoring_it_alone()
    {
        await using var server = await NatsServer.StartAsync();
        using var tmp = new TempDirectory();
        var (data, batches) = WriteData(tmp, batchCount: 40, extraColumn: true);
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(connection);
        var names = new StreamNames("T1");
        var submitted = await StreamSubmitter.SubmitAsync(js, names, "r1", data, new CsvReadOptions { LabelColumn = "id" }, BatchRows, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal((40, 40L * BatchRows), (submitted.Batches, submitted.Rows));

        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 2).Select(i => new StreamWorker(js, names, models.Runtime.Registry, new StreamWorkerOptions { ModelPath = models.PathA, WorkerName = $"w{i}", MaxInFlight = 8 }).RunAsync(null, stop.Token)).ToArray();
        var collected = await StreamCollector.CollectAsync(js, names, "r1", tmp.File("scores.csv"), TimeSpan.FromSeconds(60), CancellationToken.None);
        await stop.CancelAsync();
        var summaries = await Task.WhenAll(workers);

        Assert.Equal(40, collected.Batches);
        Assert.Equal(40, summaries.Sum(s => s.Scored));
        AssertScoresMatch(tmp.File("scores.csv"), batches);

        // The same run submitted again is stored once (same message ids): nothing new to score.
        var again = await StreamSubmitter.SubmitAsync(js, names, "r1", data, new CsvReadOptions { LabelColumn = "id" }, BatchRows, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(40, again.Duplicates);
    }

    [NatsFact]
    public async Task A_worker_killed_with_SIGKILL_mid_stream_loses_no_batch_and_none_is_scored_twice_in_the_results()
    {
        await using var server = await NatsServer.StartAsync();
        using var tmp = new TempDirectory();
        var (data, batches) = WriteData(tmp, batchCount: 300, extraColumn: false);
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(connection);
        var names = new StreamNames("T2");
        await StreamSubmitter.SubmitAsync(js, names, "kill", data, new CsvReadOptions(), BatchRows, TimeSpan.FromSeconds(30), CancellationToken.None);

        // The victim holds what it pulls for a second each time (a 1 s batching window that never fills: 16 batches in
        // flight, passes of up to 64), so when it dies it holds unacknowledged batches: the test then really tests
        // redelivery, however the machine schedules it.
        var victim = WorkerProcess.Start(server.Url, names.Stream, models.PathA, "w0", "--max-in-flight", "16", "--max-pass-batches", "64", "--batch-window-ms", "1000");
        var workers = new[] { victim }.Concat(Enumerable.Range(1, 2).Select(i => WorkerProcess.Start(server.Url, names.Stream, models.PathA, $"w{i}"))).ToArray();
        try
        {
            await Task.WhenAll(workers.Select(w => w.Ready));
            await WaitFor(async () => await ResultCount(js, names) >= 40, "40 batches scored before the kill");
            await WaitFor(async () => (await ScoredPerWorker(js, names, "kill")).GetValueOrDefault("w0") >= 1, "the victim's first scored batches");
            await Task.Delay(300); // into its next window
            var perWorker = await ScoredPerWorker(js, names, "kill");
            victim.Kill(); // SIGKILL: no drain, its in-flight batches are never acked
            var collected = await StreamCollector.CollectAsync(js, names, "kill", tmp.File("scores.csv"), TimeSpan.FromSeconds(120), CancellationToken.None);
            var survivors = await Task.WhenAll(workers.Where(w => w != victim).Select(w => w.StopAsync()));

            AssertScoresMatch(tmp.File("scores.csv"), batches);
            var stored = await ResultCount(js, names);
            var redelivered = survivors.Sum(s => s.Redelivered);
            output.WriteLine($"batches in: 300; results stored: {stored} (one per batch, plus the manifest); batches collected: {collected.Batches}; " +
                $"duplicate answers dropped by collect: {collected.Duplicates}; duplicate publishes de-duplicated by JetStream: {survivors.Sum(s => s.Duplicates)}; " +
                $"redelivered to survivors after the kill: {redelivered}; per worker: {string.Join(", ", collected.Workers.Select(w => $"{w.Key} {w.Value}"))}");
            Assert.Equal(300, collected.Batches);
            Assert.Equal(301UL, stored); // one score message per batch, plus the manifest
            Assert.True(redelivered > 0, "the killed worker held no unacknowledged batch; the test did not test redelivery");
            output.WriteLine($"killed {victim.Name} after it had scored {perWorker.GetValueOrDefault(victim.Name)} batches");
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }
    }

    [NatsFact]
    public async Task A_nats_server_restarted_mid_stream_loses_no_batch_and_none_is_scored_twice()
    {
        await using var server = await NatsServer.StartAsync();
        using var tmp = new TempDirectory();
        var (data, batches) = WriteData(tmp, batchCount: 300, extraColumn: false);
        var names = new StreamNames("T3");
        await using (var submitConnection = new NatsConnection(NatsOpts.Default with { Url = server.Url }))
        {
            await StreamSubmitter.SubmitAsync(new NatsJSContext(submitConnection), names, "restart", data, new CsvReadOptions(), BatchRows, TimeSpan.FromSeconds(30), CancellationToken.None);
        }

        var workers = Enumerable.Range(0, 2).Select(i => WorkerProcess.Start(server.Url, names.Stream, models.PathA, $"w{i}")).ToArray();
        try
        {
            await Task.WhenAll(workers.Select(w => w.Ready));
            await using (var probe = new NatsConnection(NatsOpts.Default with { Url = server.Url }))
            {
                await WaitFor(async () => await ResultCount(new NatsJSContext(probe), names) >= 40, "40 batches scored before the restart");
            }

            await server.RestartAsync(TimeSpan.FromSeconds(1));
            await using var connection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
            var js = new NatsJSContext(connection);
            var collected = await StreamCollector.CollectAsync(js, names, "restart", tmp.File("scores.csv"), TimeSpan.FromSeconds(120), CancellationToken.None);
            var summaries = await Task.WhenAll(workers.Select(w => w.StopAsync()));

            AssertScoresMatch(tmp.File("scores.csv"), batches);
            var stored = await ResultCount(js, names);
            output.WriteLine($"batches in: 300; results stored: {stored} (one per batch, plus the manifest); collected {collected.Batches}, duplicates dropped {collected.Duplicates}; " +
                $"JetStream de-duplicated {summaries.Sum(s => s.Duplicates)}; redelivered {summaries.Sum(s => s.Redelivered)}");
            Assert.Equal(300, collected.Batches);
            Assert.Equal(301UL, stored);
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }
    }

    [NatsFact]
    public async Task A_batch_the_workers_refuse_makes_collect_fail_naming_it_and_write_nothing()
    {
        await using var server = await NatsServer.StartAsync();
        using var tmp = new TempDirectory();
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(connection);
        var names = new StreamNames("T4");
        var csv = tmp.Write("wrong.csv", "a,b\n1,2\n3,4\n5,6\n"); // 2 columns; the model has 6 features
        await StreamSubmitter.SubmitAsync(js, names, "bad", csv, new CsvReadOptions(), BatchRows, TimeSpan.FromSeconds(30), CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var worker = new StreamWorker(js, names, models.Runtime.Registry, new StreamWorkerOptions { ModelPath = models.PathA }).RunAsync(null, stop.Token);
        var error = await Assert.ThrowsAsync<AcrUsageException>(() => StreamCollector.CollectAsync(js, names, "bad", tmp.File("scores.csv"), TimeSpan.FromSeconds(60), CancellationToken.None));
        await stop.CancelAsync();
        var summary = await worker;

        Assert.Contains("batch 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("6 features", error.Message, StringComparison.Ordinal); // the worker's reason: the model has 6 features, the batch 2 columns
        Assert.False(File.Exists(tmp.File("scores.csv")));
        Assert.Equal(1, summary.Refused);
    }

    /// <summary>A CSV of <paramref name="batchCount"/> × 16 rows of the fixture's data (6 features, optionally an id column first), and each batch's rows.</summary>
    private (string Path, float[][] Batches) WriteData(TempDirectory tmp, int batchCount, bool extraColumn)
    {
        var text = new StringBuilder();
        text.Append(extraColumn ? "id," : "").AppendJoin(',', models.Features).Append('\n');
        var batches = new float[batchCount][];
        for (var b = 0; b < batchCount; b++)
        {
            batches[b] = models.Rows(b * 7, BatchRows);
            for (var r = 0; r < BatchRows; r++)
            {
                if (extraColumn)
                {
                    text.Append("id").Append((b * BatchRows) + r).Append(',');
                }

                text.AppendJoin(',', batches[b].AsSpan(r * 6, 6).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append('\n');
            }
        }

        return (tmp.Write("data.csv", text.ToString()), batches);
    }

    /// <summary>Every row once, in order, with the score its batch gets when scored alone in process.</summary>
    private void AssertScoresMatch(string scoresCsv, float[][] batches)
    {
        var lines = File.ReadAllLines(scoresCsv);
        Assert.Equal("row,batch,score", lines[0]);
        Assert.Equal(batches.Length * BatchRows, lines.Length - 1);
        for (var b = 0; b < batches.Length; b++)
        {
            var expected = models.Alone(models.ModelA, batches[b]);
            for (var r = 0; r < BatchRows; r++)
            {
                var fields = lines[1 + (b * BatchRows) + r].Split(',');
                Assert.Equal((b * BatchRows) + r, int.Parse(fields[0], CultureInfo.InvariantCulture));
                Assert.Equal(b, int.Parse(fields[1], CultureInfo.InvariantCulture));
                Assert.Equal(expected[r], float.Parse(fields[2], CultureInfo.InvariantCulture));
            }
        }
    }

    private static async Task<ulong> ResultCount(INatsJSContext js, StreamNames names)
    {
        try
        {
            var stream = await js.GetStreamAsync(names.ResultsStream);
            return (ulong)stream.Info.State.Messages;
        }
        catch (Exception e) when (e is NatsException or NatsJSException or OperationCanceledException or TimeoutException)
        {
            return 0;
        }
    }

    /// <summary>Batches scored so far per worker (the Acr-Worker header of the run's stored scores).</summary>
    private static async Task<Dictionary<string, int>> ScoredPerWorker(INatsJSContext js, StreamNames names, string run)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var consumer = await js.CreateOrderedConsumerAsync(names.ResultsStream, new NatsJSOrderedConsumerOpts { FilterSubjects = [names.Scores(run)] });
        await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 10_000 }))
        {
            if (msg.Headers is { } h && h.TryGetValue(StreamHeaders.Worker, out var w))
            {
                counts[w.ToString()] = counts.GetValueOrDefault(w.ToString()) + 1;
            }
        }

        return counts;
    }

    private static async Task WaitFor(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>The real <c>acr worker</c> in a child process.</summary>
    private sealed partial class WorkerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _log = new();
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private WorkerProcess(Process process, string name) => (_process, Name) = (process, name);

        public string Name { get; }

        public Task Ready => _ready.Task.WaitAsync(TimeSpan.FromSeconds(60));

        public string Log => string.Join('\n', _log);

        public static WorkerProcess Start(string url, string stream, string model, string name, params string[] extra)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "acr.dll"), "worker", "--nats", url, "--stream", stream, "--model", model, "--name", name,
                         "--ack-wait", "2", .. (extra.Length > 0 ? extra : ["--max-in-flight", "4", "--batch-window-ms", "30"])])
            {
                start.ArgumentList.Add(a);
            }

            var worker = new WorkerProcess(new Process { StartInfo = start }, name);
            worker._process.OutputDataReceived += (_, e) => worker.Line(e.Data);
            worker._process.ErrorDataReceived += (_, e) => worker.Line(e.Data);
            worker._process.Start();
            worker._process.BeginOutputReadLine();
            worker._process.BeginErrorReadLine();
            return worker;
        }

        public void Kill() => _process.Kill(); // SIGKILL on Unix

        /// <summary>SIGTERM: the worker drains and prints its summary.</summary>
        public async Task<StreamWorkerSummary> StopAsync()
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var m = Summary().Match(Log);
            Assert.True(_process.ExitCode == 0 && m.Success, $"worker exit {_process.ExitCode}:\n{Log}");
            long N(int g) => long.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
            return new StreamWorkerSummary(N(1), N(2), N(4), N(3));
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        private void Line(string? line)
        {
            if (line is null)
            {
                return;
            }

            _log.Enqueue(line);
            if (line.Contains("pulling from stream", StringComparison.Ordinal))
            {
                _ready.TrySetResult();
            }
        }

        [GeneratedRegex(@"stopped: (\d+) batches scored, (\d+) refused, (\d+) redelivered to it, (\d+) duplicate publishes")]
        private static partial Regex Summary();
    }
}
