namespace Acr.Host.PluginLoading;

/// <summary>
/// Plugins for a long-running host that picks up new plugin versions without a restart. The watched folders are
/// copied into a private shadow folder and loaded from there (a "generation"), so the files in the watched folders are
/// never held open and can be replaced at any time. When they change, and stay unchanged for
/// <see cref="QuietPeriod"/>, a new generation is loaded and becomes <see cref="Acquire">current</see>; work that holds
/// a <see cref="PluginLease"/> on the old generation finishes on it, and the old generation is unloaded (and its shadow
/// folder deleted) when its last lease is disposed.
/// <para>
/// A new generation is refused, and the current one kept, when a plugin that loads today fails in it (for example a
/// DLL caught half-copied): <see cref="LastReloadError"/> says why, and the next change retries.
/// </para>
/// <code>
/// using var plugins = new HotReloadingPlugins(PluginCatalog.SearchPath());
/// using (var lease = plugins.Acquire())            // per request or job
/// {
///     using var backend = lease.Runtime.CreateBackend("cpu");
///     ...                                          // runs on this generation to the end
/// }
/// </code>
/// </summary>
public sealed class HotReloadingPlugins : IDisposable
{
    private readonly object _lock = new();
    private readonly object _reloadLock = new(); // one reload at a time; loading runs outside _lock, so leases never wait for it
    private readonly string[] _directories;
    private readonly string _shadowRoot;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly List<PluginGeneration> _retired = [];
    private readonly Timer _debounce;
    private PluginGeneration _current;
    private int _attempts; // names the shadow folders; generation numbers count only the loads that became current
    private bool _disposed;

    /// <summary>Loads generation 1 from <paramref name="directories"/> and starts watching them.</summary>
    /// <param name="directories">The plugin folders (as for <see cref="PluginCatalog.Load"/>); each is watched, with its sub-folders.</param>
    /// <param name="quietPeriod">How long the folders must stay unchanged before a reload; default 500 ms, at most 1 minute.</param>
    public HotReloadingPlugins(IEnumerable<string> directories, TimeSpan? quietPeriod = null)
    {
        ArgumentNullException.ThrowIfNull(directories);
        _directories = directories.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToArray();
        QuietPeriod = quietPeriod ?? TimeSpan.FromMilliseconds(500);
        if (QuietPeriod < TimeSpan.Zero || QuietPeriod > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentOutOfRangeException(nameof(quietPeriod), QuietPeriod, "The quiet period must be between 0 and 1 minute.");
        }

        _shadowRoot = Path.Combine(Path.GetTempPath(), $"acr-plugins-{Environment.ProcessId}-{Guid.NewGuid():N}");
        _current = LoadGeneration(1);
        _debounce = new Timer(_ => ReloadQuietly(), null, Timeout.Infinite, Timeout.Infinite);
        foreach (var dir in _directories.Where(Directory.Exists))
        {
            var watcher = new FileSystemWatcher(dir)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += (_, _) => Touch();
            watcher.Created += (_, _) => Touch();
            watcher.Deleted += (_, _) => Touch();
            watcher.Renamed += (_, _) => Touch();
            watcher.Error += (_, _) => Touch(); // events were lost: reload to be sure
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>How long the watched folders must stay unchanged before a reload.</summary>
    public TimeSpan QuietPeriod { get; }

    /// <summary>The number of the generation new leases get (1 at start).</summary>
    public int Generation
    {
        get
        {
            lock (_lock)
            {
                return _current.Number;
            }
        }
    }

    /// <summary>Why the last reload was refused, or null when it succeeded (or none was tried).</summary>
    public string? LastReloadError { get; private set; }

    /// <summary>Old generations still held by a lease.</summary>
    public int RetiredGenerations
    {
        get
        {
            lock (_lock)
            {
                return _retired.Count;
            }
        }
    }

    /// <summary>Raised (on a thread-pool thread) after a new generation became current; the argument is its number.</summary>
    public event EventHandler<int>? Reloaded;

    /// <summary>Raised (on a thread-pool thread) when a reload was refused; the argument is <see cref="LastReloadError"/>.</summary>
    public event EventHandler<string>? ReloadRefused;

    /// <summary>Takes a lease on the current generation: its plugins stay loaded until the lease is disposed.</summary>
    public PluginLease Acquire()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _current.Leases++;
            return new PluginLease(this, _current);
        }
    }

    /// <summary>
    /// Loads a new generation now (what a change in the folders triggers after the quiet period). Returns true when it
    /// became current; false when it was refused (see <see cref="LastReloadError"/>).
    /// </summary>
    public bool Reload()
    {
        lock (_reloadLock)
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
            }

            var next = LoadGeneration(_current.Number + 1); // _current changes only under _reloadLock, which is held
            string? refused = null;
            lock (_lock)
            {
                var broken = _current.Catalog.Plugins.Where(p => p.IsLoaded)
                    .Select(p => p.Name)
                    .Where(name => next.Catalog.Plugins.Any(q => q.Name == name && !q.IsLoaded))
                    .ToArray();
                if (_disposed || broken.Length > 0)
                {
                    var reasons = next.Catalog.Failures.Where(f => broken.Contains(f.Name)).Select(f => $"{f.Name}: {f.Error}");
                    LastReloadError = refused = _disposed ? "disposed during the reload" : $"kept generation {_current.Number}: in the new files {string.Join("; ", reasons)}";
                    Release(next, force: true);
                }
                else
                {
                    var old = _current;
                    _current = next;
                    LastReloadError = null;
                    _retired.Add(old);
                    if (old.Leases == 0)
                    {
                        Release(old, force: false);
                    }
                }
            }

            if (refused is not null)
            {
                ReloadRefused?.Invoke(this, refused);
                return false;
            }

            Reloaded?.Invoke(this, next.Number);
            return true;
        }
    }

    /// <summary>Stops watching and unloads every generation; leases still held keep working until disposed, then unload.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var watcher in _watchers)
            {
                watcher.Dispose();
            }

            _debounce.Dispose();
            _retired.Add(_current);
            foreach (var generation in _retired.Where(g => g.Leases == 0).ToArray())
            {
                Release(generation, force: false);
            }
        }
    }

    internal void Return(PluginGeneration generation)
    {
        lock (_lock)
        {
            generation.Leases--;
            if (generation.Leases == 0 && _retired.Contains(generation))
            {
                Release(generation, force: false);
            }
        }
    }

    private void Touch()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _debounce.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void ReloadQuietly()
    {
        try
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }
            }

            Reload();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LastReloadError = $"kept the current generation: copying the plugin folders failed ({e.Message}); retrying after the next change";
            ReloadRefused?.Invoke(this, LastReloadError);
        }
        catch (ObjectDisposedException)
        {
            // Disposed while the timer fired: nothing to reload.
        }
    }

    private PluginGeneration LoadGeneration(int number)
    {
        var shadow = Path.Combine(_shadowRoot, $"load-{Interlocked.Increment(ref _attempts)}");
        var shadowDirs = new List<string>();
        try
        {
            for (var i = 0; i < _directories.Length; i++)
            {
                var target = Path.Combine(shadow, i.ToString(CultureInfo.InvariantCulture));
                if (Directory.Exists(_directories[i]))
                {
                    CopyTree(_directories[i], target);
                    shadowDirs.Add(target);
                }
                else
                {
                    shadowDirs.Add(_directories[i]); // recorded as missing by the catalog, as without hot reload
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(shadow); // a file vanished or was locked mid-copy: no half copy left behind
            throw;
        }

        return new PluginGeneration(number, PluginCatalog.Load(shadowDirs), shadow);
    }

    private void Release(PluginGeneration generation, bool force)
    {
        if (generation.Leases > 0 && !force)
        {
            return;
        }

        _retired.Remove(generation);
        generation.Catalog.Unload();
        TryDelete(generation.ShadowFolder); // Linux and macOS allow it with the assemblies still mapped
        if (_disposed && _retired.Count == 0)
        {
            TryDelete(_shadowRoot);
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Windows keeps mapped files: the folder stays under the temp folder until it is cleaned.
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}

/// <summary>One loaded set of plugins of a <see cref="HotReloadingPlugins"/>.</summary>
internal sealed class PluginGeneration(int number, PluginCatalog catalog, string shadowFolder)
{
    public int Number { get; } = number;

    public PluginCatalog Catalog { get; } = catalog;

    public string ShadowFolder { get; } = shadowFolder;

    /// <summary>Leases held (guarded by the owner's lock).</summary>
    public int Leases { get; set; }
}

/// <summary>
/// A hold on one generation of <see cref="HotReloadingPlugins"/>: its plugins stay loaded until this is disposed, even
/// after a newer generation has replaced it. Dispose every backend and model made from it first.
/// </summary>
public sealed class PluginLease : IDisposable
{
    private readonly HotReloadingPlugins _owner;
    private PluginGeneration? _generation;
    private AcrRuntime? _runtime;

    internal PluginLease(HotReloadingPlugins owner, PluginGeneration generation)
    {
        _owner = owner;
        _generation = generation;
        _runtime = AcrRuntime.From(generation.Catalog);
        Generation = generation.Number;
    }

    /// <summary>The generation's number.</summary>
    public int Generation { get; }

    /// <summary>The generation's plugins and failure reasons.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public PluginCatalog Catalog => (_generation ?? throw new ObjectDisposedException(nameof(PluginLease))).Catalog;

    /// <summary>The library services over this generation's plugins. Do not dispose it: dispose the lease.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public AcrRuntime Runtime => _runtime ?? throw new ObjectDisposedException(nameof(PluginLease));

    /// <summary>
    /// Returns the lease; the generation unloads when it is retired and no lease holds it. The lease lets go of the
    /// plugins' objects here, so a disposed lease kept in a variable does not keep an old generation in memory.
    /// </summary>
    public void Dispose()
    {
        var generation = Interlocked.Exchange(ref _generation, null);
        if (generation is not null)
        {
            _runtime = null;
            _owner.Return(generation);
        }
    }
}
