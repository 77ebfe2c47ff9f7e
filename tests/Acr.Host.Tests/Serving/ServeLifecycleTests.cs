using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Acr.Host.Serving;

namespace Acr.Host.Tests.Serving;

/// <summary>A model file replaced on disk is swapped in without dropping a request; SIGTERM under load drains every accepted request.</summary>
[Collection(ServeTestGroup.Name)]
public sealed partial class ServeLifecycleTests(ServeModels models)
{
    [Fact]
    public async Task A_model_file_replaced_by_atomic_rename_is_swapped_in_under_load_without_a_failed_or_mixed_request()
    {
        using var tmp = new TempDirectory();
        var path = tmp.File("live.safetensors");
        File.Copy(models.PathA, path);
        var versionA = ModelVersion.Hash(models.PathA)[..12];
        var versionB = ModelVersion.Hash(models.PathB)[..12];
        var batches = Enumerable.Range(0, 4).Select(i => models.Rows(i * 29, 8 + (i * 5))).ToArray();
        var expected = new Dictionary<string, float[][]>
        {
            [versionA] = batches.Select(b => models.Alone(models.ModelA, b)).ToArray(),
            [versionB] = batches.Select(b => models.Alone(models.ModelB, b)).ToArray(),
        };

        await using var server = await models.Start(ServeModels.Options(new ServedModelSource("live", path)) with { BatchWindow = TimeSpan.FromMilliseconds(1) });
        using var client = ServeModels.Client(server.Addresses[0]);
        var seen = new ConcurrentQueue<(string Version, int Batch, float[] Scores)>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var clients = models.PostUntilStopped(client, "live", batches, 4, seen, failures, stop.Token);

        await WaitFor(() => seen.Count >= 20, "20 answers from the first model");
        var tmpFile = tmp.File(".live.safetensors.tmp");
        File.Copy(models.PathB, tmpFile);
        File.Move(tmpFile, path, overwrite: true); // the atomic replace a deployment does
        await WaitFor(() => seen.Any(s => s.Version == versionB), "an answer from the swapped-in model");
        var atSwap = seen.Count;
        await WaitFor(() => seen.Count >= atSwap + 20, "20 more answers after the swap");
        stop.Cancel();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.Equal(1, server.Workers["live"].Swaps);
        Assert.All(seen, s => Assert.Equal(expected[s.Version][s.Batch], s.Scores)); // whole answers from one version, never a mix
        Assert.Contains(seen, s => s.Version == versionA);
        using var info = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/v1/models/live"));
        Assert.Equal(versionB, info.RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public async Task A_replacement_that_is_not_a_model_is_refused_and_the_old_model_keeps_serving()
    {
        using var tmp = new TempDirectory();
        var path = tmp.File("live.safetensors");
        File.Copy(models.PathA, path);
        var log = new StringWriter();
        await using var server = await models.Start(ServeModels.Options(new ServedModelSource("live", path)) with { Log = TextWriter.Synchronized(log) });
        using var client = ServeModels.Client(server.Addresses[0]);
        var rows = models.Rows(0, 10);

        var bad = tmp.File(".bad.tmp");
        File.WriteAllText(bad, "not a model");
        File.Move(bad, path, overwrite: true);
        await WaitFor(() => log.ToString().Contains("does not load", StringComparison.Ordinal), "the failed reload's warning");

        Assert.Equal(models.Alone(models.ModelA, rows), await ServeModels.Scores(await client.PostAsync("/v1/models/live/score", ServeModels.CsvContent(ServeModels.Csv(rows, 6)))));
        Assert.Equal(0, server.Workers["live"].Swaps);
    }

    [Fact]
    public async Task Sigterm_under_load_answers_every_accepted_request_and_exits_0()
    {
        // The real command in a child process, under load from 8 clients; requests wait 150 ms in the batching window,
        // so many are in flight (accepted, queued) when SIGTERM arrives.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "acr.dll"), "serve", "--model", "m=" + models.PathA, "--urls", "http://127.0.0.1:0",
                     "--batch-window-ms", "150", "--shutdown-timeout", "30", "--no-watch"])
        {
            start.ArgumentList.Add(a);
        }

        var output = new ConcurrentQueue<string>();
        using var listening = new TaskCompletionSourceWithUri();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var batches = Enumerable.Range(0, 8).Select(i => models.Rows(i * 13, 16 + i)).ToArray();
        var expected = batches.Select(b => models.Alone(models.ModelA, b)).ToArray();
        var ok = 0L;
        var okAfterSignal = 0L;
        var wrong = new ConcurrentQueue<string>();
        var refused = 0L;
        long signalled = 0;
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var client = ServeModels.Client(address);
            var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
            {
                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < TimeSpan.FromSeconds(40))
                {
                    HttpResponseMessage response;
                    try
                    {
                        response = await client.PostAsync("/v1/models/m/score", ServeModels.CsvContent(ServeModels.Csv(batches[c], 6)));
                    }
                    catch (HttpRequestException) when (Interlocked.Read(ref signalled) != 0)
                    {
                        Interlocked.Increment(ref refused); // not accepted: the listener is closed
                        return;
                    }

                    using (response)
                    {
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            wrong.Enqueue($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                            continue;
                        }

                        var scores = await ServeModels.Scores(response);
                        if (!scores.SequenceEqual(expected[c]))
                        {
                            wrong.Enqueue($"client {c}: wrong scores");
                        }

                        Interlocked.Increment(ref ok);
                        if (Interlocked.Read(ref signalled) != 0)
                        {
                            Interlocked.Increment(ref okAfterSignal);
                        }
                    }
                }
            })).ToArray();

            await WaitFor(() => Interlocked.Read(ref ok) >= 16, "16 answers before the signal");
            Interlocked.Exchange(ref signalled, 1);
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
                Assert.Equal(0, kill.ExitCode);
            }

            await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "acr serve did not exit within 60 s of SIGTERM");
            process.WaitForExit();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var text = string.Join("\n", output);
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:\n{text}");
        Assert.Empty(wrong);
        var summary = Summary().Match(text);
        Assert.True(summary.Success, $"no summary line:\n{text}");
        var accepted = long.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture);
        var answered = long.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture);
        var scored = long.Parse(summary.Groups[3].Value, CultureInfo.InvariantCulture);
        Assert.Equal(accepted, answered);
        Assert.Equal(accepted, scored);
        Assert.Equal(scored, Interlocked.Read(ref ok)); // every request the server scored reached its client
        Assert.True(Interlocked.Read(ref okAfterSignal) > 0, $"no request was in flight at the signal; the test did not test draining:\n{text}");
        Assert.True(Interlocked.Read(ref refused) > 0, "no client saw the listener close");

        void Line(string? line)
        {
            if (line is null)
            {
                return;
            }

            output.Enqueue(line);
            var m = Listening().Match(line);
            if (m.Success)
            {
                listening.TrySetResult(new Uri(m.Groups[1].Value));
            }
        }
    }

    [GeneratedRegex(@"^listening on (\S+)")]
    private static partial Regex Listening();

    [GeneratedRegex(@"stopped: (\d+) scoring requests accepted, (\d+) answered \((\d+) with scores\)")]
    private static partial Regex Summary();

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private sealed class TaskCompletionSourceWithUri : IDisposable
    {
        private readonly TaskCompletionSource<Uri> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<Uri> Task => _source.Task;

        public void TrySetResult(Uri uri) => _source.TrySetResult(uri);

        public void Dispose() => _source.TrySetCanceled();
    }
}
