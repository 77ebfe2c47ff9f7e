using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Acr.Host.Composition;
using Acr.Host.Models;
using Acr.Nn;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Acr.Host.Serving;

/// <summary>
/// <c>acr serve</c> as a library: zero-shot scoring over HTTP on ASP.NET Core (Kestrel).
/// <list type="bullet">
/// <item><c>POST /v1/models/{name}/score</c>: one batch (CSV, JSON rows or Arrow IPC) → one score per row, in order. The
/// batch IS the batch-norm statistics (batch mode): send rows of one distribution, at least 2; <c>?mode=running</c>
/// scores with the training running statistics instead (baseline B1, any row count).</item>
/// <item>Dynamic segment batching: requests that arrive within <see cref="ServeOptions.BatchWindow"/> share one forward
/// pass, each its own batch-norm segment, so each gets the scores it would get alone.</item>
/// <item><c>GET /healthz</c>, <c>GET /readyz</c>, <c>GET /v1/models</c>, <c>GET /v1/models/{name}</c>, <c>GET /metrics</c> (Prometheus).</item>
/// </list>
/// Bad input is answered with an <c>application/problem+json</c> 4xx naming the problem. Stopping drains: the listener
/// closes, requests in flight are answered, then the scoring threads finish their queues.
/// </summary>
public sealed class AcrServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly ServeOptions _options;
    private readonly ServeMetrics _metrics;
    private readonly Dictionary<string, ModelWorker> _workers;
    private readonly WebApplication _app;
    private readonly SemaphoreSlim _stopOnce = new(1, 1);
    private Action? _unsubscribe;
    private long _accepted;
    private long _answered;
    private long _scored;
    private volatile bool _stopping;
    private bool _stopped;

    private AcrServer(ServeOptions options, ServeMetrics metrics, Dictionary<string, ModelWorker> workers, WebApplication app)
    {
        _options = options;
        _metrics = metrics;
        _workers = workers;
        _app = app;
    }

    /// <summary>The addresses the server listens on (with the actual port when port 0 was asked for).</summary>
    public IReadOnlyList<Uri> Addresses { get; private set; } = [];

    /// <summary>Scoring requests that reached the scoring endpoint.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Scoring requests answered (any status): after a drained stop it equals <see cref="Accepted"/>.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Scoring requests answered with scores (200).</summary>
    public long Scored => Interlocked.Read(ref _scored);

    /// <summary>Loads every model (each on its own backend instance and scoring thread), then starts listening.</summary>
    /// <param name="options">Models, addresses, batching and limits.</param>
    /// <param name="registry">Detectors and backends (the loaded plugins).</param>
    /// <param name="handleSignals">Whether SIGTERM/SIGINT stop the server (the command line); a library host stops it itself.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="AcrUsageException">An option is out of range.</exception>
    /// <exception cref="ModelFormatException">A model file is not an Acr model.</exception>
    /// <exception cref="IOException">An address cannot be bound.</exception>
    public static Task<AcrServer> StartAsync(ServeOptions options, ComponentRegistry registry, bool handleSignals = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return StartAsync(options, ServePlugins.Fixed(registry), null, handleSignals, cancellationToken);
    }

    /// <summary>
    /// As <see cref="StartAsync(ServeOptions, ComponentRegistry, bool, CancellationToken)"/>, with plugins that reload
    /// without a restart: when <paramref name="plugins"/> loads a new generation, every model is loaded again with the
    /// new plugins (onto a backend created from them) and swapped in between forward passes, like a replaced model
    /// file. Requests already accepted are scored by the old generation, which unloads after its last one is answered.
    /// If the new plugins cannot load a model, that model stays on the old ones (a warning on <see cref="ServeOptions.Log"/>).
    /// The server does not own <paramref name="plugins"/>: dispose it after the server.
    /// </summary>
    /// <param name="options">Models, addresses, batching and limits.</param>
    /// <param name="plugins">The watched plugin folders.</param>
    /// <param name="handleSignals">Whether SIGTERM/SIGINT stop the server (the command line); a library host stops it itself.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="AcrUsageException">An option is out of range.</exception>
    /// <exception cref="ModelFormatException">A model file is not an Acr model.</exception>
    /// <exception cref="IOException">An address cannot be bound.</exception>
    public static Task<AcrServer> StartAsync(ServeOptions options, PluginLoading.HotReloadingPlugins plugins, bool handleSignals = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        return StartAsync(options, ServePlugins.Reloading(plugins), plugins, handleSignals, cancellationToken);
    }

    private static async Task<AcrServer> StartAsync(ServeOptions options, ServePlugins plugins, PluginLoading.HotReloadingPlugins? reloading, bool handleSignals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var metrics = new ServeMetrics();
        var workers = new Dictionary<string, ModelWorker>(StringComparer.Ordinal);
        try
        {
            foreach (var source in options.Models)
            {
                workers[source.Name] = new ModelWorker(source, options, plugins, metrics);
            }

            foreach (var worker in workers.Values)
            {
                await worker.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (options.WatchModelFiles)
                {
                    worker.WatchFile();
                }
            }

            metrics.ObserveQueues(() => workers.Values.Select(w => new Measurement<long>(w.QueuedRows, new KeyValuePair<string, object?>("model", w.Name))));
            var app = Build(options, handleSignals);
            var server = new AcrServer(options, metrics, workers, app);
            server.Map();
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not IOException and not OperationCanceledException and not OutOfMemoryException)
            {
                // Kestrel reports an address it cannot use (bad URL, port taken) with several exception types.
                await app.DisposeAsync().ConfigureAwait(false);
                throw new IOException($"Cannot listen on {string.Join(", ", options.Urls)}: {e.Message.TrimEnd('.')}. Pick another --urls (port 0 chooses a free port).", e);
            }

            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            server.Addresses = addresses.Select(a => new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal))).ToArray();
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStopping.Register(() => server._stopping = true);
            if (reloading is not null)
            {
                EventHandler<int> reload = (_, generation) =>
                {
                    options.Log?.WriteLine($"plugins: generation {generation} loaded; reloading {workers.Count} model(s) with it");
                    foreach (var worker in workers.Values)
                    {
                        worker.RequestReload();
                    }
                };
                EventHandler<string> refused = (_, why) => options.Log?.WriteLine($"warning: plugins: {why}");
                reloading.Reloaded += reload;
                reloading.ReloadRefused += refused;
                server._unsubscribe = () =>
                {
                    reloading.Reloaded -= reload;
                    reloading.ReloadRefused -= refused;
                };
                foreach (var worker in workers.Values.Where(w => w.PluginGeneration != reloading.Generation))
                {
                    worker.RequestReload(); // a reload that happened while the models were loading
                }
            }

            return server;
        }
        catch
        {
            foreach (var worker in workers.Values)
            {
                worker.Dispose();
            }

            metrics.Dispose();
            throw;
        }
    }

    private static WebApplication Build(ServeOptions options, bool handleSignals)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (options.Log is not null)
        {
            // Start failures are reported once, as an error naming --urls; the host's own log of them would repeat it with a stack.
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
                .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        }

        if (!handleSignals)
        {
            builder.Services.AddSingleton<IHostLifetime, LibraryLifetime>();
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes + OversizeDrainBytes; // the scoring endpoint counts the exact limit itself
        });
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(ServeMetrics.MeterName).AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder.Build();
    }

    private void Map()
    {
        _app.MapGet("/healthz", (RequestDelegate)(c => c.Response.WriteAsJsonAsync(new { status = "ok" }, Json)));
        _app.MapGet("/readyz", (RequestDelegate)Ready);
        _app.MapGet("/v1/models", (RequestDelegate)(c => c.Response.WriteAsJsonAsync(new { models = _workers.Values.Select(Info).ToArray() }, Json)));
        _app.MapGet("/v1/models/{name}", (RequestDelegate)ModelInfo);
        _app.MapPost("/v1/models/{name}/score", (RequestDelegate)Score);
        _app.MapPrometheusScrapingEndpoint("/metrics");
        _app.MapFallback((RequestDelegate)(c => ProblemWriter.WriteAsync(c,
            new ServeProblem(404, "no-such-endpoint", "No such endpoint.", $"{c.Request.Method} {c.Request.Path} is not an endpoint; POST /v1/models/{{name}}/score scores a batch, GET /v1/models lists the models."), null)));
    }

    private Task Ready(HttpContext c)
    {
        var ready = !_stopping;
        c.Response.StatusCode = ready ? 200 : 503;
        return c.Response.WriteAsJsonAsync(new { status = ready ? "ready" : "stopping", models = _workers.Keys.Order(StringComparer.Ordinal).ToArray() }, Json);
    }

    private Task ModelInfo(HttpContext c)
    {
        var name = (string)c.Request.RouteValues["name"]!;
        return _workers.TryGetValue(name, out var worker)
            ? c.Response.WriteAsJsonAsync(Info(worker), Json)
            : ProblemWriter.WriteAsync(c, UnknownModel(name), null);
    }

    private static object Info(ModelWorker worker)
    {
        var v = worker.Current;
        var config = v.Model.Config;
        return new
        {
            name = worker.Name,
            path = worker.Path,
            version = v.Version,
            sha256 = v.Sha256,
            loadedAt = v.LoadedAt,
            swaps = worker.Swaps,
            detector = config.Detector,
            detectorOptions = config.DetectorOptions,
            features = config.FeatureNames,
            featureCount = config.FeatureNames.Count,
            trainClasses = config.TrainClasses,
            training = config.Training,
            seed = config.Seed,
            acrVersion = config.AcrVersion,
            backend = worker.BackendName,
            pluginGeneration = v.Epoch.Generation,
            minRowsBatchMode = 2,
        };
    }

    private ServeProblem UnknownModel(string name) =>
        new(404, "unknown-model", "No such model.", $"No model is named '{name}'; this server serves {string.Join(", ", _workers.Keys.Order(StringComparer.Ordinal).Select(k => $"'{k}'"))} (GET /v1/models).");

    private async Task Score(HttpContext c)
    {
        var start = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _accepted);
        var name = (string)c.Request.RouteValues["name"]!;
        var metricModel = "unknown"; // only known names become metric labels: clients choose the URL
        var status = 500;
        try
        {
            if (!_workers.TryGetValue(name, out var worker))
            {
                throw UnknownModel(name);
            }

            metricModel = name;
            var mode = ParseMode(c.Request.Query["mode"]);
            var format = HttpFormats.RequestFormat(c.Request.ContentType);
            var csv = HttpFormats.WantsCsv(c.Request);
            var (body, length) = await ReadBody(c).ConfigureAwait(false);
            using var lease = worker.Acquire();
            var version = lease.Version;
            var table = format switch
            {
                BatchFormat.Csv => BatchReaders.ReadCsv(body, length, _options.MaxRequestRows),
                BatchFormat.Json => BatchReaders.ReadJson(body, length, _options.MaxRequestRows),
                _ => BatchReaders.ReadArrow(body, length, _options.MaxRequestRows),
            };
            var source = table.MatchColumns(version.FeatureNames);
            if (mode == BatchNormMode.Batch && table.Rows < 2)
            {
                throw ServeProblem.BadBatch("too-few-rows", "A batch-mode batch needs at least 2 rows.",
                    "The batch has 1 row. Zero-shot scoring centres the batch by its own batch-norm mean and variance, which one row does not have: " +
                    "send at least 2 rows of the same distribution, or score with ?mode=running (the training statistics, baseline B1).");
            }

            var rows = version.Model.Standardizer.Transform(FeatureColumns.Reorder(table.Values, table.Columns, source));
            var job = new ScoreJob(version, rows, table.Rows, mode);
            var scores = await worker.Enqueue(job).ConfigureAwait(false);
            c.Response.StatusCode = 200;
            c.Response.Headers["Acr-Model-Version"] = version.Version;
            c.Response.Headers["Acr-Pass-Segments"] = job.PassSegments.ToString(CultureInfo.InvariantCulture);
            await WriteScores(c, name, version.Version, mode, scores, csv).ConfigureAwait(false);
            status = 200;
            Interlocked.Increment(ref _scored);
        }
        catch (ServeProblem p)
        {
            status = p.Status;
            await ProblemWriter.WriteAsync(c, p, metricModel == "unknown" ? null : name).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            status = e.StatusCode == 413 ? 413 : 400;
            var problem = status == 413
                ? new ServeProblem(413, "request-too-large", "The request body is too large.",
                    $"The body is over {_options.MaxRequestBytes} bytes, the server's --max-request-bytes; split the batch, or start the server with a larger limit.")
                : new ServeProblem(400, "bad-request", "The request could not be read.", e.Message);
            await ProblemWriter.WriteAsync(c, problem, metricModel == "unknown" ? null : name).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (c.RequestAborted.IsCancellationRequested)
        {
            status = 499; // the client went away; nothing to answer
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            status = 500;
            _options.Log?.WriteLine($"error: scoring request for '{name}' failed: {e.GetType().Name}: {e.Message}");
            await ProblemWriter.WriteAsync(c, new ServeProblem(500, "internal-error", "The server failed to score the batch.", $"{e.GetType().Name}: {e.Message}"), name).ConfigureAwait(false);
        }
        finally
        {
            _metrics.Request(metricModel, status, start);
            Interlocked.Increment(ref _answered);
        }
    }

    private static BatchNormMode ParseMode(Microsoft.Extensions.Primitives.StringValues mode) => mode.Count switch
    {
        0 => BatchNormMode.Batch,
        1 when string.Equals(mode[0], "batch", StringComparison.OrdinalIgnoreCase) => BatchNormMode.Batch,
        1 when string.Equals(mode[0], "running", StringComparison.OrdinalIgnoreCase) => BatchNormMode.Running,
        _ => throw ServeProblem.BadBatch("bad-mode", "Unknown scoring mode.", $"?mode={mode} is not a mode: use batch (the default, ACR zero-shot) or running (training statistics, baseline B1)."),
    };

    /// <summary>
    /// A body over the limit is still read (and dropped) up to this many bytes past it, so the client finishes sending
    /// and reads a clean 413 on a live connection; beyond it the server answers at once and closes the connection.
    /// </summary>
    private const long OversizeDrainBytes = 1 << 20;

    private async Task<(byte[] Body, int Length)> ReadBody(HttpContext c)
    {
        var limit = _options.MaxRequestBytes;
        var declared = c.Request.ContentLength;
        if (declared > limit + OversizeDrainBytes)
        {
            throw TooLarge($"The body is {declared} bytes");
        }

        // Counted here rather than by Kestrel, whose limit fails the read mid-body and leaves the client writing into a closed connection.
        if (c.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = limit + OversizeDrainBytes;
        }

        using var buffer = new MemoryStream(declared is { } n && n <= limit ? (int)n : 1 << 14);
        var chunk = new byte[1 << 14];
        var total = 0L;
        int read;
        while ((read = await c.Request.Body.ReadAsync(chunk, c.RequestAborted).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total <= limit)
            {
                buffer.Write(chunk, 0, read);
            }
        }

        if (total > limit)
        {
            throw TooLarge(declared is null ? $"The body is over {limit} bytes" : $"The body is {declared} bytes");
        }

        if (total == 0)
        {
            throw ServeProblem.BadBatch("empty-batch", "The batch has no rows.", "The request body is empty; send a batch of at least 2 rows.");
        }

        return (buffer.GetBuffer(), (int)buffer.Length);

        ServeProblem TooLarge(string what) => new(413, "request-too-large", "The request body is too large.",
            $"{what}; the server takes at most {limit} (--max-request-bytes). Split the batch, or start the server with a larger limit.");
    }

    private static async Task WriteScores(HttpContext c, string model, string version, BatchNormMode mode, float[] scores, bool csv)
    {
        if (csv)
        {
            c.Response.ContentType = "text/csv; charset=utf-8";
            var text = new StringBuilder(scores.Length * 12).Append("row,score\n");
            for (var i = 0; i < scores.Length; i++)
            {
                text.Append(i).Append(',').Append(scores[i].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }

            await c.Response.WriteAsync(text.ToString(), c.RequestAborted).ConfigureAwait(false);
            return;
        }

        c.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(c.Response.Body);
        json.WriteStartObject();
        json.WriteString("model", model);
        json.WriteString("version", version);
        json.WriteString("mode", mode == BatchNormMode.Batch ? "batch" : "running");
        json.WriteNumber("rows", scores.Length);
        json.WriteStartArray("scores");
        foreach (var s in scores)
        {
            json.WriteNumberValue(s);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(c.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Completes when the server is asked to stop (SIGTERM/SIGINT when it handles signals, or <paramref name="cancellationToken"/>), after it drained.</summary>
    /// <param name="cancellationToken">Stops the server when cancelled.</param>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStopping.Register(() => stop.TrySetResult()))
        using (cancellationToken.Register(() => stop.TrySetResult()))
        {
            await stop.Task.ConfigureAwait(false);
        }

        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Graceful stop: /readyz turns 503, the listener closes, requests in flight are answered (up to
    /// <see cref="ServeOptions.ShutdownTimeout"/>), then each scoring thread finishes its queue and releases its model.
    /// </summary>
    public async Task StopAsync()
    {
        await _stopOnce.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                return;
            }

            _stopping = true;
            _unsubscribe?.Invoke();
            await _app.StopAsync().ConfigureAwait(false);
            foreach (var worker in _workers.Values)
            {
                worker.Dispose();
            }

            await _app.DisposeAsync().ConfigureAwait(false);
            _metrics.Dispose();
            _stopped = true;
        }
        finally
        {
            _stopOnce.Release();
        }
    }

    /// <summary>Stops the server (see <see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopOnce.Dispose();
    }

    internal IReadOnlyDictionary<string, ModelWorker> Workers => _workers;

    /// <summary>A host lifetime that ignores process signals: the library's caller decides when the server stops.</summary>
    private sealed class LibraryLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
