using System.Diagnostics;
using Acr.Host.Composition;
using Acr.Host.Models;
using Acr.Nn;

namespace Acr.Host.Serving;

/// <summary>
/// One served model: its own backend and scoring thread, the queue of requests waiting for it, and dynamic segment
/// batching. The thread takes the oldest request, waits until <see cref="ServeOptions.BatchWindow"/> after its arrival
/// for others (or until <see cref="ServeOptions.MaxPassRows"/> rows), and scores them all in ONE forward pass, each
/// request its own batch-norm segment, so each gets exactly the scores it would get alone. All backend work (load,
/// score, swap, dispose) happens on this thread. When the model file is replaced on disk, the thread loads the new
/// file between passes and swaps it in: requests already prepared for the old version are still scored by it, new ones
/// by the new one, none is dropped; the old version is disposed when the last request holding it is answered.
/// With hot-reloading plugins, a new plugin generation is handled the same way: the model file is loaded again with the
/// new plugins onto a backend created from them, and the old generation's backend and hold go with its last version.
/// </summary>
internal sealed class ModelWorker : IDisposable
{
    private readonly object _lock = new();
    private readonly List<ScoreJob> _pending = [];
    private readonly List<ModelVersion> _retired = [];
    private readonly ServeOptions _options;
    private readonly ServePlugins _plugins;
    private readonly ServeMetrics _metrics;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _windowTicks;
    private FileSystemWatcher? _watcher;
    private PluginEpoch? _epoch; // the plugins and backend new versions load with (worker thread only)
    private string _backendName = "";
    private ModelVersion? _current;
    private int _queuedRows;
    private bool _reloadRequested;
    private bool _stopping;
    private long _passes;
    private long _swaps;

    public ModelWorker(ServedModelSource source, ServeOptions options, ServePlugins plugins, ServeMetrics metrics)
    {
        Name = source.Name;
        Path = System.IO.Path.GetFullPath(source.Path);
        _options = options;
        _plugins = plugins;
        _metrics = metrics;
        _windowTicks = (long)(options.BatchWindow.TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(Run) { IsBackground = true, Name = $"acr-serve {Name}" };
        _thread.Start();
    }

    public string Name { get; }

    /// <summary>The model file (full path).</summary>
    public string Path { get; }

    /// <summary>Completes once the backend is created and the model loaded (faults with the load error).</summary>
    public Task Started => _started.Task;

    /// <summary>The version new requests are scored with.</summary>
    public ModelVersion Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException($"Model '{Name}' is not loaded yet.");

    public string BackendName => Volatile.Read(ref _backendName);

    /// <summary>The plugin generation the current version was loaded with (0 without hot reload).</summary>
    public int PluginGeneration => Current.Epoch.Generation;

    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Times a replaced file was swapped in.</summary>
    public long Swaps => Interlocked.Read(ref _swaps);

    public int QueuedRows
    {
        get
        {
            lock (_lock)
            {
                return _queuedRows;
            }
        }
    }

    /// <summary>Takes a lease on the current version: it stays loaded until the lease is disposed.</summary>
    public ModelLease Acquire()
    {
        lock (_lock)
        {
            var version = Current;
            version.Leases++;
            return new ModelLease(this, version);
        }
    }

    /// <summary>Queues a prepared batch; the task completes with its scores.</summary>
    /// <exception cref="ServeProblem">503: the queue is full or the server is stopping.</exception>
    public Task<float[]> Enqueue(ScoreJob job)
    {
        lock (_lock)
        {
            if (_stopping)
            {
                throw new ServeProblem(503, "shutting-down", "The server is shutting down.", $"Model '{Name}' is not taking new batches: the server is shutting down. Retry on another instance.");
            }

            if (_queuedRows + job.Count > _options.MaxQueuedRows)
            {
                throw new ServeProblem(503, "queue-full", "Too many rows are waiting to be scored.",
                    $"Model '{Name}' already has {_queuedRows} rows waiting (the limit, --max-queued-rows, is {_options.MaxQueuedRows}); retry after a short wait.");
            }

            _pending.Add(job);
            _queuedRows += job.Count;
            Monitor.PulseAll(_lock);
        }

        return job.Result.Task;
    }

    /// <summary>Asks the scoring thread to re-read the model file between passes (a no-op when its bytes did not change).</summary>
    public void RequestReload()
    {
        lock (_lock)
        {
            _reloadRequested = true;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Watches the model's folder for the file being replaced (rename over it, or rewritten).</summary>
    public void WatchFile()
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        _watcher = new FileSystemWatcher(directory)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            IncludeSubdirectories = false,
        };
        _watcher.Changed += (_, e) => OnFileEvent(e.FullPath);
        _watcher.Created += (_, e) => OnFileEvent(e.FullPath);
        _watcher.Renamed += (_, e) => OnFileEvent(e.FullPath);
        _watcher.Error += (_, _) => RequestReload(); // events were lost: re-read to be sure
        _watcher.EnableRaisingEvents = true;
    }

    private void OnFileEvent(string path)
    {
        if (string.Equals(path, Path, StringComparison.Ordinal))
        {
            RequestReload();
        }
    }

    internal void Release(ModelVersion version)
    {
        lock (_lock)
        {
            version.Leases--;
            if (version.Leases == 0 && _retired.Contains(version))
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    private void Run()
    {
        try
        {
            _epoch = _plugins.Open(_options);
            Volatile.Write(ref _backendName, _epoch.Backend.ToString() ?? "");
            Volatile.Write(ref _current, ModelVersion.Load(Path, _epoch));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _epoch?.Dispose();
            _started.SetException(e);
            return;
        }

        _started.SetResult();
        var free = new List<ModelVersion>();
        while (true)
        {
            List<ScoreJob>? pass = null;
            var reload = false;
            lock (_lock)
            {
                while (_pending.Count == 0 && !_reloadRequested && !_stopping && !_retired.Exists(v => v.Leases == 0))
                {
                    Monitor.Wait(_lock);
                }

                free.AddRange(_retired.Where(v => v.Leases == 0));
                _retired.RemoveAll(v => v.Leases == 0);
                if (_pending.Count == 0 && _stopping)
                {
                    break;
                }

                if (_reloadRequested && !_stopping)
                {
                    _reloadRequested = false;
                    reload = true;
                }
                else if (_pending.Count > 0)
                {
                    pass = CollectPass();
                }
            }

            DisposeVersions(free);
            if (reload)
            {
                TryReload();
            }
            else if (pass is not null)
            {
                Score(pass);
            }
        }

        // Stopped: nothing is queued, and the server has drained its requests; release everything on this thread.
        lock (_lock)
        {
            free.AddRange(_retired);
            _retired.Clear();
        }

        if (_current is not null)
        {
            free.Add(_current);
        }

        DisposeVersions(free);
        _epoch?.Dispose();
    }

    /// <summary>Disposes retired versions, and each old plugin epoch once no version of it remains (worker thread).</summary>
    private void DisposeVersions(List<ModelVersion> versions)
    {
        foreach (var v in versions)
        {
            v.Dispose();
            if (v.Epoch != _epoch && v.Epoch.Versions == 0)
            {
                v.Epoch.Dispose();
            }
        }

        versions.Clear();
    }

    /// <summary>Under the lock: waits (bounded) for requests to join the oldest one, then takes the pass's requests off the queue.</summary>
    private List<ScoreJob> CollectPass()
    {
        var first = _pending[0];
        var deadline = first.EnqueuedAt + _windowTicks;
        while (!_stopping)
        {
            var (rows, count) = (0, 0);
            foreach (var job in _pending)
            {
                if (job.Version == first.Version && job.Mode == first.Mode)
                {
                    rows += job.Count;
                    count++;
                }
            }

            var remaining = deadline - Stopwatch.GetTimestamp();
            if (count >= _options.MaxRequestsPerPass || rows >= _options.MaxPassRows || remaining <= 0)
            {
                break;
            }

            // Monitor waits have millisecond resolution: round up, so the window is never cut short.
            Monitor.Wait(_lock, Math.Max(1, (int)Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency)));
        }

        var pass = new List<ScoreJob>();
        var passRows = 0;
        for (var i = 0; i < _pending.Count && pass.Count < _options.MaxRequestsPerPass; i++)
        {
            var job = _pending[i];
            if (job.Version != first.Version || job.Mode != first.Mode)
            {
                continue;
            }

            if (pass.Count > 0 && passRows + job.Count > _options.MaxPassRows)
            {
                break; // keeps arrival order: this one leads the next pass
            }

            pass.Add(job);
            passRows += job.Count;
        }

        _pending.RemoveAll(pass.Contains);
        _queuedRows -= passRows;
        return pass;
    }

    private void Score(List<ScoreJob> pass)
    {
        var start = Stopwatch.GetTimestamp();
        var version = pass[0].Version;
        var features = version.FeatureNames.Count;
        var total = 0;
        foreach (var job in pass)
        {
            _metrics.QueueWait(Name, Stopwatch.GetElapsedTime(job.EnqueuedAt, start));
            total += job.Count;
        }

        try
        {
            // Pad the pass to a bucketed row count with one extra segment whose scores are dropped: a segment's
            // statistics are its own, so the padding changes no request's scores, and the backend's buffer pools
            // (keyed by exact size) see a few dozen sizes instead of one per distinct sum of request lengths.
            var padded = PaddedRows(total);
            var lengths = new int[pass.Count + (padded > total ? 1 : 0)];
            float[] rows;
            if (pass.Count == 1 && padded == total)
            {
                rows = pass[0].Rows;
                lengths[0] = pass[0].Count;
            }
            else
            {
                rows = new float[padded * features];
                var at = 0;
                for (var i = 0; i < pass.Count; i++)
                {
                    pass[i].Rows.CopyTo(rows, at * features);
                    lengths[i] = pass[i].Count;
                    at += pass[i].Count;
                }

                if (padded > total)
                {
                    lengths[^1] = padded - total;
                }
            }

            var scores = version.Scorer.Score(rows, lengths, pass[0].Mode);
            var offset = 0;
            foreach (var job in pass)
            {
                job.PassSegments = pass.Count;
                job.Result.TrySetResult(scores.AsSpan(offset, job.Count).ToArray());
                offset += job.Count;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            foreach (var job in pass)
            {
                job.Result.TrySetException(e);
            }
        }

        Interlocked.Increment(ref _passes);
        _metrics.Pass(Name, total, pass.Count, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>
    /// The row count a pass of <paramref name="rows"/> rows is padded to: the smallest of 4, 5, 6 or 7 × 2^k at or above
    /// it (about a quarter more rows at most), never exactly one more (a one-row padding segment has no batch statistics). Small
    /// passes are not padded.
    /// </summary>
    internal static int PaddedRows(int rows)
    {
        if (rows <= 16)
        {
            return rows;
        }

        var step = 1 << (System.Numerics.BitOperations.Log2((uint)rows) - 2); // rows is in [4·step, 8·step)
        var bucket = (rows + step - 1) / step * step;
        return bucket - rows == 1 ? PaddedRows(rows + 2) : bucket; // the next size of the same grid
    }

    private void TryReload()
    {
        var current = Current;
        var generation = _plugins.Generation;
        string hash;
        try
        {
            hash = ModelVersion.Hash(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Warn($"model '{Name}': cannot read {Path} ({e.Message}); still serving version {current.Version}.");
            _metrics.Reload(Name, "failed");
            return;
        }

        if (hash == current.Sha256 && generation == _epoch!.Generation)
        {
            _metrics.Reload(Name, "unchanged");
            return;
        }

        // New plugins: load the model with them, onto a backend of theirs; the old epoch stays for its versions.
        var epoch = generation == _epoch!.Generation ? _epoch : null;
        ModelVersion next;
        try
        {
            epoch ??= _plugins.Open(_options);
            next = ModelVersion.Load(Path, epoch);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A half-written or foreign file, or plugins that cannot load it, must not stop the service: keep the old
            // version, wait for the next change.
            if (epoch is not null && epoch != _epoch && epoch.Versions == 0)
            {
                epoch.Dispose();
            }

            var what = generation == _epoch.Generation ? $"{Path} changed but does not load" : $"plugin generation {generation} cannot load {Path}";
            Warn($"model '{Name}': {what} ({e.Message}); still serving version {current.Version}.");
            _metrics.Reload(Name, "failed");
            return;
        }

        var previous = _epoch;
        lock (_lock)
        {
            _retired.Add(current);
            _epoch = epoch;
            Volatile.Write(ref _current, next);
        }

        Volatile.Write(ref _backendName, epoch.Backend.ToString() ?? ""); // the previous epoch goes with its last version

        Interlocked.Increment(ref _swaps);
        _metrics.Reload(Name, "swapped");
        var plugins = previous == epoch ? "" : $", plugin generation {epoch.Generation}";
        _options.Log?.WriteLine($"model '{Name}': swapped in version {next.Version} ({next.Model.Config.Detector}, {next.FeatureNames.Count} features{plugins}) from {Path}; version {current.Version} retires when its last request is answered.");
    }

    private void Warn(string message) => _options.Log?.WriteLine("warning: " + message);

    /// <summary>Stops taking batches, scores every one already queued, then releases the models and the backend.</summary>
    public void Dispose()
    {
        _watcher?.Dispose();
        lock (_lock)
        {
            _stopping = true;
            Monitor.PulseAll(_lock);
        }

        _thread.Join();
    }
}

/// <summary>A request's hold on one model version (see <see cref="ModelWorker.Acquire"/>).</summary>
internal sealed class ModelLease(ModelWorker worker, ModelVersion version) : IDisposable
{
    private int _released;

    public ModelVersion Version { get; } = version;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            worker.Release(Version);
        }
    }
}
