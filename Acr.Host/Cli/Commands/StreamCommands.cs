using Acr.Host.Scoring.Streaming;
using Acr.Host.Streaming;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Acr.Host.Cli;

/// <summary>The options every stream command shares: the NATS server and the stream.</summary>
internal sealed class NatsOptionSet : OptionSet
{
    public Option<string> Url { get; } = new("--nats") { Description = "NATS server URL (JetStream enabled: nats-server -js).", DefaultValueFactory = _ => "nats://127.0.0.1:4222" };

    public Option<string> Stream { get; } = new("--stream") { Description = "Stream name: batches go to stream S (subjects S.batches.RUN), scores to S_SCORES.", Required = true };

    protected override IReadOnlyList<Option> Options => [Url, Stream];

    /// <summary>Connects (waiting at most 10 s) and returns the JetStream context; a server that cannot be reached is a clear error.</summary>
    public async Task<(NatsConnection Connection, NatsJSContext Js, StreamNames Names)> ConnectAsync(ParseResult p, string clientName, CancellationToken cancellationToken)
    {
        var names = new StreamNames(p.GetValue(Stream)!);
        var url = p.GetValue(Url)!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss"))
        {
            throw new AcrUsageException($"--nats '{url}' is not a NATS URL; use nats://HOST:PORT (for example nats://127.0.0.1:4222).");
        }

        var connection = new NatsConnection(NatsOpts.Default with
        {
            Url = url,
            Name = clientName,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            MaxReconnectRetry = -1, // ride out a server restart
        });
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or TimeoutException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"Cannot reach the NATS server at {url} ({e.Message.TrimEnd('.')}). Start one with JetStream enabled (nats-server -js -sd DIR) or pass --nats.", e);
        }

        if (connection.ServerInfo is { JetStreamAvailable: false })
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new AcrUsageException($"The NATS server at {url} has JetStream disabled; start it with -js (and -sd DIR for file storage).");
        }

        return (connection, new NatsJSContext(connection), names);
    }
}

/// <summary>'acr submit': sends a data file to a stream as batches.</summary>
internal sealed class SubmitCommand : CliCommand
{
    private readonly NatsOptionSet _nats = new();
    private readonly Option<string> _data = new("--data") { Description = "Data file: CSV (.csv, .csv.gz), Parquet or Arrow; read row by row.", Required = true };
    private readonly Option<string?> _run = new("--run") { Description = "Run id (letters, digits, - and _); default: a new one, printed. Re-submitting with the same id stores each batch once." };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Rows per batch: each is scored as one distribution, centred by its own batch-norm statistics.", DefaultValueFactory = _ => 256 };
    private readonly Option<string?> _label = CliOptions.Label(required: false);
    private readonly Option<string[]> _drop = CliOptions.Drop();
    private readonly Option<string> _header = CliOptions.Header();
    private readonly Option<string> _delimiter = CliOptions.Delimiter();
    private readonly Option<double> _retry = new("--retry-for") { Description = "Seconds to keep retrying a publish while the server is unreachable.", DefaultValueFactory = _ => 60.0 };

    public SubmitCommand(CliContext context)
        : base(context, "submit", "Send a data file to a stream as batches for 'acr worker' to score (collect the scores with 'acr collect').")
    {
        Add([.. _nats, _data, _run, _batchSize, _label, _drop, _header, _delimiter, _retry]);
    }

    protected override int Run(ParseResult parse)
    {
        var data = parse.GetValue(_data)!;
        if (!File.Exists(data))
        {
            throw new AcrUsageException($"--data '{data}': file not found.");
        }

        var retry = parse.GetValue(_retry);
        if (!double.IsFinite(retry) || retry < 0 || retry > 3600)
        {
            throw new AcrUsageException($"--retry-for must be between 0 and 3600 seconds; got {retry}.");
        }

        var batchSize = parse.GetValue(_batchSize);
        if (batchSize is < 2 or > StreamSubmitter.MaxBatchSize)
        {
            throw new AcrUsageException($"--batch-size must be between 2 and {StreamSubmitter.MaxBatchSize}; got {batchSize}. A batch is centred by its own batch-norm statistics, so it needs at least 2 rows.");
        }

        _ = new StreamNames(parse.GetValue(_nats.Stream)!); // checked before connecting
        var run = parse.GetValue(_run) is { } given ? StreamNames.CheckRun(given) : StreamNames.NewRun();
        var options = new CsvReadOptions
        {
            LabelColumn = parse.GetValue(_label),
            Drop = CliOptions.SplitList(parse.GetValue(_drop)),
            HasHeader = CliOptions.ParseHeader(parse.GetValue(_header)!),
            Delimiter = CliOptions.ParseDelimiter(parse.GetValue(_delimiter)!),
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var summary = Task.Run(async () =>
        {
            var (connection, js, names) = await _nats.ConnectAsync(parse, "acr submit", Context.Cancellation).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await StreamSubmitter.SubmitAsync(js, names, run, data, options, batchSize, TimeSpan.FromSeconds(retry), Context.Cancellation).ConfigureAwait(false);
            }
        }).GetAwaiter().GetResult();
        var seconds = clock.Elapsed.TotalSeconds;
        Context.Console.WriteLine($"run {summary.Run}: {summary.Batches} batches, {summary.Rows} rows submitted in {seconds:0.00} s ({summary.Batches / Math.Max(seconds, 1e-9):0} batches/s)" +
            (summary.Duplicates > 0 ? $"; {summary.Duplicates} were already stored (same run id)" : ""));
        var nats = parse.GetResult(_nats.Url) is { Implicit: false } ? $" --nats {parse.GetValue(_nats.Url)}" : "";
        Context.Console.WriteLine($"collect with: acr collect{nats} --stream {parse.GetValue(_nats.Stream)} --run {summary.Run} --out scores.csv");
        return AcrCli.Success;
    }
}

/// <summary>'acr worker': scores a stream's batches until stopped.</summary>
internal sealed class WorkerCommand : CliCommand
{
    private readonly NatsOptionSet _nats = new();
    private readonly Option<string> _model = new("--model") { Description = "Model file to score with (.safetensors).", Required = true };
    private readonly Option<double> _ackWait = new("--ack-wait") { Description = "Seconds a batch may stay unacknowledged before JetStream gives it to another worker (a worker killed mid-batch loses nothing).", DefaultValueFactory = _ => 30.0 };
    private readonly Option<int> _inFlight = new("--max-in-flight") { Description = "Batches this worker holds at once; those that arrive together share forward passes as separate batch-norm segments.", DefaultValueFactory = _ => 64 };
    private readonly Option<double> _window = new("--batch-window-ms") { Description = "How long the first batch of a forward pass waits for others to share it.", DefaultValueFactory = _ => 2.0 };
    private readonly Option<int> _maxPass = new("--max-pass-batches") { Description = "Most batches one forward pass merges (it starts early once it has them).", DefaultValueFactory = _ => 256 };
    private readonly Option<string?> _name = new("--name") { Description = "Worker name written on its scores (Acr-Worker); default HOST-PID." };
    private readonly BackendOptionSet _backend = new();

    public WorkerCommand(CliContext context)
        : base(context, "worker", "Score a stream's batches zero-shot (NATS JetStream work queue) until stopped; start several to scale out.")
    {
        Add([.. _nats, _model, _ackWait, _inFlight, _window, _maxPass, _name, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var model = parse.GetValue(_model)!;
        if (!File.Exists(model))
        {
            throw new AcrUsageException($"--model '{model}': file not found. Train one with 'acr train ... --out {model}'.");
        }

        var backendOptions = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parse.GetValue(_backend.Threads) is { } threads)
        {
            backendOptions["threads"] = threads.ToString(CultureInfo.InvariantCulture);
        }

        var ackWait = parse.GetValue(_ackWait);
        var window = parse.GetValue(_window);
        if (!double.IsFinite(ackWait) || !double.IsFinite(window))
        {
            throw new AcrUsageException("--ack-wait and --batch-window-ms must be numbers.");
        }

        var options = new StreamWorkerOptions
        {
            ModelPath = model,
            Backend = parse.GetValue(_backend.Backend)!,
            Device = parse.GetValue(_backend.Device),
            BackendOptions = backendOptions,
            AckWait = TimeSpan.FromSeconds(ackWait),
            MaxInFlight = parse.GetValue(_inFlight),
            BatchWindow = TimeSpan.FromMilliseconds(window),
            MaxBatchesPerPass = parse.GetValue(_maxPass),
            WorkerName = parse.GetValue(_name) ?? $"{Environment.MachineName}-{Environment.ProcessId}",
            Log = Context.Error,
        };
        options.Validate();
        var console = Context.Console;

        // SIGTERM (a container or service manager stopping it) and Ctrl+C both stop it gracefully: stop pulling, publish
        // and ack what it holds, print the summary, exit 0.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Context.Cancellation);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stop.Cancel();
        });
        var summary = Task.Run(async () =>
        {
            var (connection, js, names) = await _nats.ConnectAsync(parse, "acr worker " + options.WorkerName, Context.Cancellation).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var worker = new StreamWorker(js, names, Context.Registry, options);
                return await worker.RunAsync(description =>
                    console.WriteLine($"worker {options.WorkerName}: {description}; pulling from stream {names.Stream} (consumer {StreamNames.Consumer})"), stop.Token).ConfigureAwait(false);
            }
        }).GetAwaiter().GetResult();
        console.WriteLine($"worker {options.WorkerName} stopped: {summary.Scored} batches scored, {summary.Refused} refused, {summary.Redelivered} redelivered to it, {summary.Duplicates} duplicate publishes de-duplicated");
        return AcrCli.Success;
    }
}

/// <summary>'acr collect': gathers a run's scores into scores.csv.</summary>
internal sealed class CollectCommand : CliCommand
{
    private readonly NatsOptionSet _nats = new();
    private readonly Option<string> _run = new("--run") { Description = "The run id 'acr submit' printed.", Required = true };
    private readonly Option<string> _out = new("--out") { Description = "Scores file to write (CSV: row, batch, score); written only when every batch has its scores.", DefaultValueFactory = _ => "scores.csv" };
    private readonly Option<double> _timeout = new("--timeout") { Description = "Seconds to wait for the run to complete.", DefaultValueFactory = _ => 600.0 };

    public CollectCommand(CliContext context)
        : base(context, "collect", "Wait for a submitted run's scores and write them, one per row in file order, to a CSV file.")
    {
        Add([.. _nats, _run, _out, _timeout]);
    }

    protected override int Run(ParseResult parse)
    {
        var timeout = parse.GetValue(_timeout);
        if (!double.IsFinite(timeout) || timeout <= 0 || timeout > 86_400)
        {
            throw new AcrUsageException($"--timeout must be between 0 and 86400 seconds; got {timeout}.");
        }

        var run = StreamNames.CheckRun(parse.GetValue(_run)!);
        var output = parse.GetValue(_out)!;
        OutputPaths.CheckFile(output);
        var summary = Task.Run(async () =>
        {
            var (connection, js, names) = await _nats.ConnectAsync(parse, "acr collect", Context.Cancellation).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await StreamCollector.CollectAsync(js, names, run, output, TimeSpan.FromSeconds(timeout), Context.Cancellation).ConfigureAwait(false);
            }
        }).GetAwaiter().GetResult();
        var workers = string.Join(", ", summary.Workers.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $"{w.Key}: {w.Value}"));
        Context.Console.WriteLine($"run {run}: {summary.Batches} batches, {summary.Rows} rows → {output}; {summary.Duplicates} duplicate answers dropped; batches per worker: {workers}");
        return AcrCli.Success;
    }
}
