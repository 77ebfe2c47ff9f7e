namespace Acr.Host.Serving;

/// <summary>One model to serve: the name it is reached by (<c>/v1/models/{name}</c>) and its <c>.safetensors</c> file.</summary>
/// <param name="Name">URL name: letters, digits, '.', '_' or '-'.</param>
/// <param name="Path">The model file; replacing it on disk (atomic rename) swaps the new model in.</param>
public sealed record ServedModelSource(string Name, string Path)
{
    /// <summary>
    /// Parses a <c>--model</c> value: <c>NAME=PATH</c>, or a bare <c>PATH</c> whose file name without its extension is the
    /// name (<c>models/letter.safetensors</c> → <c>letter</c>).
    /// </summary>
    /// <param name="text">The option value.</param>
    /// <exception cref="AcrUsageException">The name is empty or has characters a URL segment should not.</exception>
    public static ServedModelSource Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var (name, path) = eq > 0
            ? (text[..eq].Trim(), text[(eq + 1)..].Trim())
            : (System.IO.Path.GetFileNameWithoutExtension(text.Trim()), text.Trim());
        if (path.Length == 0)
        {
            throw new AcrUsageException($"--model '{text}': no file given; write --model PATH or --model NAME=PATH.");
        }

        if (!IsValidName(name))
        {
            throw new AcrUsageException(
                $"--model '{text}': the model name '{name}' must be 1-64 letters, digits, '.', '_' or '-' (it is a URL segment); name it explicitly with --model NAME=PATH.");
        }

        return new ServedModelSource(name, path);
    }

    /// <summary>Whether <paramref name="name"/> can be a model name: 1-64 ASCII letters, digits, '.', '_' or '-', not '.' or '..'.</summary>
    /// <param name="name">The candidate.</param>
    public static bool IsValidName(string name) =>
        name is { Length: > 0 and <= 64 } and not "." and not ".." && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

/// <summary>
/// How <c>acr serve</c> runs: the models, where it listens, the dynamic segment batching and the limits that refuse
/// unbounded requests up front. Defaults suit a loopback service scoring batches of a few hundred rows.
/// </summary>
public sealed record ServeOptions
{
    /// <summary>The models to serve (at least one; names unique).</summary>
    public required IReadOnlyList<ServedModelSource> Models { get; init; }

    /// <summary>Addresses to listen on, e.g. <c>http://127.0.0.1:5000</c>; port 0 picks a free port (see <see cref="AcrServer.Addresses"/>).</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:5000"];

    /// <summary>Compute backend name (each model gets its own instance, used by its scoring thread only).</summary>
    public string Backend { get; init; } = "cpu";

    /// <summary>Device index within the backend, or null for the first usable one.</summary>
    public int? Device { get; init; }

    /// <summary>Backend options, e.g. <c>threads</c>.</summary>
    public IReadOnlyDictionary<string, string> BackendOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// How long the first request of a forward pass may wait for others to join it (as separate batch-norm segments).
    /// Counted from the first request's arrival; the wait ends early when <see cref="MaxPassRows"/> is reached.
    /// Zero: no waiting, but requests already queued still share a pass.
    /// </summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most rows one forward pass holds when it merges requests (a single larger request still runs, alone).</summary>
    public int MaxPassRows { get; init; } = 4096;

    /// <summary>Most requests (segments) one forward pass merges; 1 turns dynamic batching off.</summary>
    public int MaxRequestsPerPass { get; init; } = 256;

    /// <summary>Largest request body in bytes; a larger one gets 413.</summary>
    public long MaxRequestBytes { get; init; } = 16L << 20;

    /// <summary>Most rows one request may hold; more gets 413.</summary>
    public int MaxRequestRows { get; init; } = 65_536;

    /// <summary>Most rows waiting to be scored per model; past it a request gets 503 with Retry-After (back-pressure).</summary>
    public int MaxQueuedRows { get; init; } = 1 << 20;

    /// <summary>How long a graceful shutdown waits for in-flight requests before it aborts them.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether a model file replaced on disk is loaded and swapped in (the old one keeps scoring until then).</summary>
    public bool WatchModelFiles { get; init; } = true;

    /// <summary>Where progress lines (models loaded, swapped, listening, stopped) and warnings go; null for none.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Checks every value; throws a usage error naming the option and the fix.</summary>
    /// <exception cref="AcrUsageException">A value is out of range, or two models share a name.</exception>
    public void Validate()
    {
        if (Models is null || Models.Count == 0)
        {
            throw new AcrUsageException("acr serve needs at least one --model PATH (or NAME=PATH).");
        }

        var duplicate = Models.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new AcrUsageException($"Two models are named '{duplicate.Key}'; give each its own name with --model NAME=PATH.");
        }

        if (Urls is null || Urls.Count == 0)
        {
            throw new AcrUsageException("--urls needs at least one address, e.g. http://127.0.0.1:5000.");
        }

        Require(BatchWindow >= TimeSpan.Zero && BatchWindow <= TimeSpan.FromSeconds(1), $"--batch-window-ms must be between 0 and 1000; got {BatchWindow.TotalMilliseconds}.");
        Require(MaxPassRows is >= 2 and <= Scoring.BatchLayout.MaxBatchSize, $"--max-pass-rows must be between 2 and {Scoring.BatchLayout.MaxBatchSize}; got {MaxPassRows}.");
        Require(MaxRequestsPerPass >= 1, $"--max-requests-per-pass must be at least 1; got {MaxRequestsPerPass}.");
        Require(MaxRequestBytes >= 64, $"--max-request-bytes must be at least 64; got {MaxRequestBytes}.");
        Require(MaxRequestRows is >= 2 and <= Scoring.BatchLayout.MaxBatchSize, $"--max-request-rows must be between 2 and {Scoring.BatchLayout.MaxBatchSize}; got {MaxRequestRows}.");
        Require(MaxQueuedRows >= MaxRequestRows, $"--max-queued-rows ({MaxQueuedRows}) must be at least --max-request-rows ({MaxRequestRows}), or a largest request could never be queued.");
        Require(ShutdownTimeout >= TimeSpan.Zero, "--shutdown-timeout must not be negative.");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new AcrUsageException(message);
        }
    }
}
