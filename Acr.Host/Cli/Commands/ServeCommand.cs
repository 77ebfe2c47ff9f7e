using Acr.Host.PluginLoading;
using Acr.Host.Serving;

namespace Acr.Host.Cli;

/// <summary>'acr serve': zero-shot scoring over HTTP, with dynamic segment batching (see <see cref="AcrServer"/>).</summary>
internal sealed class ServeCommand : CliCommand
{
    private readonly Option<string[]> _models = new("--model")
    {
        Description = "Model to serve: PATH (named after the file, letter.safetensors → letter) or NAME=PATH; repeatable. Replacing the file (atomic rename) swaps the new model in.",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string> _urls = new("--urls") { Description = "Addresses to listen on, separated by ';' (port 0: a free port).", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
    private readonly Option<double> _window = new("--batch-window-ms") { Description = "How long the first request of a forward pass waits for others to share it, as separate batch-norm segments (0: only those already queued).", DefaultValueFactory = _ => 2.0 };
    private readonly Option<int> _maxPassRows = new("--max-pass-rows") { Description = "Most rows one forward pass merges.", DefaultValueFactory = _ => 4096 };
    private readonly Option<int> _maxPassRequests = new("--max-pass-requests") { Description = "Most requests one forward pass merges.", DefaultValueFactory = _ => 256 };
    private readonly Option<bool> _noBatching = new("--no-batching") { Description = "Score every request in its own forward pass (no window, no merging)." };
    private readonly Option<long> _maxBytes = new("--max-request-bytes") { Description = "Largest request body; larger gets 413.", DefaultValueFactory = _ => 16L << 20 };
    private readonly Option<int> _maxRows = new("--max-request-rows") { Description = "Most rows per request; more gets 413.", DefaultValueFactory = _ => 65_536 };
    private readonly Option<int> _maxQueued = new("--max-queued-rows") { Description = "Most rows waiting per model; past it requests get 503 with Retry-After.", DefaultValueFactory = _ => 1 << 20 };
    private readonly Option<double> _shutdown = new("--shutdown-timeout") { Description = "Seconds a graceful stop (SIGTERM, Ctrl+C) waits for requests in flight.", DefaultValueFactory = _ => 30.0 };
    private readonly Option<bool> _noWatch = new("--no-watch") { Description = "Do not reload a model file replaced on disk." };
    private readonly Option<bool> _watchPlugins = new("--watch-plugins") { Description = "Reload plugins when their folders change (a new detector or backend version dropped in): models are loaded again with the new plugins, requests in flight finish on the old ones." };
    private readonly BackendOptionSet _backend = new();

    public ServeCommand(CliContext context)
        : base(context, "serve", "Serve models over HTTP: POST /v1/models/{name}/score scores one batch (CSV, JSON or Arrow), centred by its own batch-norm statistics.")
    {
        Add([_models, _urls, _window, _maxPassRows, _maxPassRequests, _noBatching, _maxBytes, _maxRows, _maxQueued, _shutdown, _noWatch, _watchPlugins, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var window = parse.GetValue(_window);
        var shutdown = parse.GetValue(_shutdown);
        if (!double.IsFinite(window) || window < 0 || window > 1000)
        {
            throw new AcrUsageException($"--batch-window-ms must be between 0 and 1000; got {window}.");
        }

        if (!double.IsFinite(shutdown) || shutdown < 0 || shutdown > 3600)
        {
            throw new AcrUsageException($"--shutdown-timeout must be between 0 and 3600 seconds; got {shutdown}.");
        }

        var noBatching = parse.GetValue(_noBatching);
        var backendOptions = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parse.GetValue(_backend.Threads) is { } threads)
        {
            backendOptions["threads"] = threads.ToString(CultureInfo.InvariantCulture);
        }

        var options = new ServeOptions
        {
            Models = parse.GetValue(_models)!.Select(ServedModelSource.Parse).ToArray(),
            Urls = parse.GetValue(_urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Backend = parse.GetValue(_backend.Backend)!,
            Device = parse.GetValue(_backend.Device),
            BackendOptions = backendOptions,
            BatchWindow = noBatching ? TimeSpan.Zero : TimeSpan.FromMilliseconds(window),
            MaxPassRows = parse.GetValue(_maxPassRows),
            MaxRequestsPerPass = noBatching ? 1 : parse.GetValue(_maxPassRequests),
            MaxRequestBytes = parse.GetValue(_maxBytes),
            MaxRequestRows = parse.GetValue(_maxRows),
            MaxQueuedRows = parse.GetValue(_maxQueued),
            ShutdownTimeout = TimeSpan.FromSeconds(shutdown),
            WatchModelFiles = !parse.GetValue(_noWatch),
            Log = Context.Error,
        };
        foreach (var m in options.Models)
        {
            if (!File.Exists(m.Path))
            {
                throw new AcrUsageException($"--model {m.Name}={m.Path}: file not found. Train one with 'acr train ... --out {m.Path}'.");
            }
        }

        using var plugins = parse.GetValue(_watchPlugins) ? new HotReloadingPlugins(Context.Catalog.SearchedDirectories) : null;
        var server = (plugins is null
            ? AcrServer.StartAsync(options, Context.Registry, handleSignals: true, Context.Cancellation)
            : AcrServer.StartAsync(options, plugins, handleSignals: true, Context.Cancellation)).GetAwaiter().GetResult();
        var console = Context.Console;
        if (plugins is not null)
        {
            console.WriteLine($"plugins: watching {string.Join(", ", Context.Catalog.SearchedDirectories.Where(Directory.Exists))} (generation {plugins.Generation})");
        }

        foreach (var (name, worker) in server.Workers.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            var v = worker.Current;
            console.WriteLine($"model '{name}': {v.Model.Config.Detector}, {v.FeatureNames.Count} features, version {v.Version}, from {worker.Path}");
        }

        console.WriteLine(noBatching
            ? "batching: off (one request per forward pass)"
            : $"batching: window {window.ToString(CultureInfo.InvariantCulture)} ms, at most {options.MaxRequestsPerPass} requests / {options.MaxPassRows} rows per pass");
        foreach (var address in server.Addresses)
        {
            console.WriteLine($"listening on {address}");
        }

        server.WaitForShutdownAsync(Context.Cancellation).GetAwaiter().GetResult();
        console.WriteLine($"stopped: {server.Accepted} scoring requests accepted, {server.Answered} answered ({server.Scored} with scores)");
        return server.Accepted == server.Answered ? 0 : AcrCli.InternalError;
    }
}
