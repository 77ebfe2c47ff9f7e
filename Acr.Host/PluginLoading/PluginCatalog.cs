using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.Json;
using Acr.Host.Composition;
using Acr.Plugins;
using McMaster.NETCore.Plugins;

namespace Acr.Host.PluginLoading;

/// <summary>
/// Discovers plugin folders, loads each with its own unloadable McMaster.NETCore.Plugins
/// <see cref="PluginLoader"/> (the contract assembly <c>Acr.Abstractions</c> shared with the host, everything
/// else the plugin's deps.json lists private to it), and registers what it provides. A plugin that fails —
/// missing dependency, not a .NET assembly, no or an incompatible API version, <c>Register</c> throwing, a name
/// another plugin already registered — is recorded with its reason and the others still load.
/// </summary>
public sealed class PluginCatalog
{
    /// <summary>Environment variable with extra plugin directories, separated by <see cref="Path.PathSeparator"/>.</summary>
    public const string PathVariable = "ACR_PLUGIN_PATH";

    private readonly List<PluginDescriptor> _plugins = [];
    /// <summary>The contract: the one assembly whose types host and plugins must share.</summary>
    private static readonly Type[] SharedTypes = [typeof(IAcrPlugin)];

    private static readonly string SharedAssemblyName = typeof(IAcrPlugin).Assembly.GetName().Name!;

    private readonly List<LoadedPlugin> _loaded = [];
    private readonly List<(string Name, WeakReference Context)> _unloading = [];

    private readonly Version _hostApi;

    private PluginCatalog(ComponentRegistry registry, Version hostApi)
    {
        Registry = registry;
        _hostApi = hostApi;
    }

    /// <summary>
    /// The version of the <c>Acr.Abstractions</c> package this host carries (its informational version without
    /// the source revision): the package a plugin author builds against.
    /// </summary>
    public static string ContractPackageVersion { get; } =
        (typeof(IAcrPlugin).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(IAcrPlugin).Assembly.GetName().Version!.ToString(3)).Split('+')[0];

    /// <summary>The directories that were searched, in order.</summary>
    public IReadOnlyList<string> SearchedDirectories { get; private set; } = [];

    /// <summary>The registry the loaded plugins filled.</summary>
    public ComponentRegistry Registry { get; }

    /// <summary>Every plugin found, in discovery order.</summary>
    public IReadOnlyList<PluginDescriptor> Plugins => _plugins;

    /// <summary>Plugins that failed to load.</summary>
    public IEnumerable<PluginDescriptor> Failures => _plugins.Where(p => !p.IsLoaded);

    /// <summary>
    /// The directories searched, in order: <c>plugins/</c> beside the executable, then
    /// <paramref name="extraDirectories"/> (<c>--plugins</c>), then <c>ACR_PLUGIN_PATH</c>.
    /// </summary>
    /// <param name="extraDirectories">Directories given on the command line.</param>
    public static IReadOnlyList<string> SearchPath(IEnumerable<string>? extraDirectories = null)
    {
        var dirs = new List<string> { Path.Combine(AppContext.BaseDirectory, "plugins") };
        dirs.AddRange(extraDirectories ?? []);
        var env = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(env))
        {
            dirs.AddRange(env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return dirs.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// Loads every plugin under <paramref name="directories"/>. Each directory is either a plugin folder
    /// (it holds a <c>*.deps.json</c>) or a folder of plugin folders. A directory that does not exist is
    /// recorded as a failure unless it is the default <c>plugins/</c> folder.
    /// </summary>
    /// <param name="directories">Where to look.</param>
    /// <param name="registry">Where to register; null for a new one.</param>
    public static PluginCatalog Load(IEnumerable<string> directories, ComponentRegistry? registry = null) =>
        LoadForHost(directories, registry, PluginApi.Version);

    /// <summary>As <see cref="Load(IEnumerable{string}, ComponentRegistry?)"/>, checking plugins against <paramref name="hostApi"/>
    /// instead of this build's <see cref="PluginApi.Version"/> (tests of how a later host treats today's plugins).</summary>
    internal static PluginCatalog LoadForHost(IEnumerable<string> directories, ComponentRegistry? registry, Version hostApi)
    {
        ArgumentNullException.ThrowIfNull(directories);
        ArgumentNullException.ThrowIfNull(hostApi);
        var catalog = new PluginCatalog(registry ?? new ComponentRegistry(), hostApi);
        var defaultDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "plugins"));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var searched = directories.Select(Path.GetFullPath).ToArray();
        catalog.SearchedDirectories = searched;
        foreach (var dir in searched)
        {
            if (!Directory.Exists(dir))
            {
                if (dir != defaultDir)
                {
                    catalog._plugins.Add(new PluginDescriptor(Path.GetFileName(dir), null, null, dir, [], [], $"plugin directory '{dir}' does not exist"));
                }

                continue;
            }

            var folders = Directory.EnumerateFiles(dir, "*.deps.json").Any()
                ? [dir]
                : Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal).ToArray();
            foreach (var folder in folders)
            {
                if (seen.Add(folder))
                {
                    catalog.LoadFolder(folder);
                }
            }
        }

        return catalog;
    }

    /// <summary>
    /// Unloads every plugin's load context. Callers must drop their references to plugin objects first
    /// (the registry is cleared); the contexts are collected by a later garbage collection
    /// (<see cref="WaitForUnload"/> forces and checks that).
    /// </summary>
    public void Unload()
    {
        Registry.Clear();
        foreach (var plugin in _loaded)
        {
            _unloading.Add((plugin.Name, new WeakReference(plugin.Context)));
            plugin.Loader.Dispose();
        }

        _loaded.Clear();
    }

    /// <summary>
    /// Unloads (see <see cref="Unload"/>) and runs up to <paramref name="maxCollections"/> garbage collections
    /// until every unloaded plugin's load context is gone; returns the plugins whose context is still alive,
    /// because something outside the plugin still references one of its types or objects (for example a
    /// static cache of System.Text.Json: see docs/plugins.md). Empty when all unloaded.
    /// </summary>
    /// <param name="maxCollections">At most this many full collections (each waits for finalizers); 1 to 100.</param>
    public IReadOnlyList<string> WaitForUnload(int maxCollections = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCollections, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCollections, 100);
        Unload();
        for (var i = 0; i < maxCollections && _unloading.Any(u => u.Context.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        var alive = _unloading.Where(u => u.Context.IsAlive).Select(u => u.Name).ToArray();
        _unloading.RemoveAll(u => !u.Context.IsAlive);
        return alive;
    }

    /// <summary>
    /// Weak references to every load context and every assembly loaded into them, for verifying that
    /// unloading frees them (a plugin's assemblies stay alive until its context is unloaded).
    /// </summary>
    public IReadOnlyList<WeakReference> LoadContextReferences() =>
        _loaded.SelectMany(p => p.Context.Assemblies.Select(a => new WeakReference(a)).Prepend(new WeakReference(p.Context))).ToArray();

    private void LoadFolder(string folder)
    {
        // A plugin must never take the host down: whatever goes wrong becomes its failure reason.
        try
        {
            LoadFolderCore(folder);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _plugins.Add(Failed(folder, null, $"{e.GetType().Name}: {e.Message}"));
        }
    }

    private void LoadFolderCore(string folder)
    {
        string? mainPath;
        try
        {
            mainPath = FindMainAssembly(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _plugins.Add(Failed(folder, null, $"cannot read the folder: {e.Message}"));
            return;
        }

        if (mainPath is null)
        {
            _plugins.Add(Failed(folder, null, "no plugin assembly: expected '<folder name>.dll' or exactly one '*.deps.json' naming the main assembly"));
            return;
        }

        PluginAssemblyInfo info;
        try
        {
            info = PluginAssemblyInspector.Inspect(mainPath);
        }
        catch (Exception e) when (e is BadImageFormatException or IOException or UnauthorizedAccessException)
        {
            _plugins.Add(Failed(folder, Path.GetFileNameWithoutExtension(mainPath), e.Message));
            return;
        }

        var apiText = info.ApiMajor is { } ma ? $"{ma}.{info.ApiMinor}" : null;
        if (info.ApiMajor is null)
        {
            _plugins.Add(Failed(folder, info.AssemblyName, $"'{Path.GetFileName(mainPath)}' declares no plugin API version; add [assembly: Acr.Plugins.AcrPluginApi(PluginApi.Major, PluginApi.Minor)] and build it against the Acr.Abstractions package {ContractPackageVersion}", info));
            return;
        }

        if (IncompatibilityOf(info.ApiMajor.Value, info.ApiMinor!.Value, _hostApi) is { } why)
        {
            _plugins.Add(Failed(folder, info.AssemblyName, why, info));
            return;
        }

        var missing = MissingDependencies(mainPath);
        if (missing.Count > 0)
        {
            _plugins.Add(Failed(folder, info.AssemblyName, $"missing dependenc{(missing.Count == 1 ? "y" : "ies")} {string.Join(", ", missing)} (listed in its deps.json but not in the folder); republish the plugin with its dependencies", info));
            return;
        }

        LoadAndRegister(folder, mainPath, info, apiText!);
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // keeps plugin objects out of the caller's frame so unloading can collect them
    private void LoadAndRegister(string folder, string mainPath, PluginAssemblyInfo info, string apiText)
    {
        // McMaster's loader: a collectible context resolving the plugin's deps.json (managed and native)
        // from its folder, with the contract's assembly (and what it references) taken from the host.
        var loader = PluginLoader.CreateFromAssemblyFile(mainPath, isUnloadable: true, sharedTypes: SharedTypes);
        var staging = new StagingRegistry();
        try
        {
            var assembly = loader.LoadDefaultAssembly();
            Type[] types;
            try
            {
                types = assembly.GetExportedTypes();
            }
            catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException or TypeLoadException)
            {
                throw new PluginLoadException($"a type could not be loaded ({FirstMessage(e)}); a dependency may be missing or of the wrong version");
            }

            var entryTypes = types.Where(t => typeof(IAcrPlugin).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false } && t.GetConstructor(Type.EmptyTypes) is not null).ToArray();
            if (entryTypes.Length == 0)
            {
                throw new PluginLoadException($"'{Path.GetFileName(mainPath)}' has no public class implementing Acr.Plugins.IAcrPlugin with a parameterless constructor");
            }

            foreach (var type in entryTypes)
            {
                IAcrPlugin plugin;
                try
                {
                    plugin = (IAcrPlugin)Activator.CreateInstance(type)!;
                    plugin.Register(staging);
                }
                catch (Exception e) when (e is not PluginLoadException)
                {
                    var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
                    throw new PluginLoadException($"{type.FullName}.Register threw {inner.GetType().Name}: {inner.Message}");
                }
            }

            var conflicts = staging.Detectors.Select(d => d.Name).Where(n => Registry.OwnerOf(n) is not null)
                .Concat(staging.Backends.Select(b => b.Name).Where(n => Registry.OwnerOf(n) is not null))
                .Concat(staging.Ops.Select(o => o.Name).Where(n => Registry.OwnerOf(n) is not null))
                .Select(n => $"'{n}' (already provided by {Registry.OwnerOf(n)})").ToArray();
            if (conflicts.Length > 0)
            {
                throw new PluginLoadException($"registers {string.Join(", ", conflicts)}; names must be unique, so this plugin was not loaded (remove one of the two)");
            }

            Registry.CurrentOwner = $"plugin '{info.AssemblyName}'";
            staging.CommitTo(Registry);
            Registry.CurrentOwner = "host";
            _loaded.Add(new LoadedPlugin(info.AssemblyName, loader, AssemblyLoadContext.GetLoadContext(assembly)!));
            _plugins.Add(new PluginDescriptor(info.AssemblyName, info.Version.ToString(), apiText, folder,
                staging.Detectors.Select(d => d.Name).ToArray(), staging.Backends.Select(b => b.Name).ToArray(), null)
            {
                Ops = staging.Ops.Select(o => o.Name).ToArray(),
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Registry.CurrentOwner = "host";
            loader.Dispose();
            _plugins.Add(Failed(folder, info.AssemblyName, e is PluginLoadException ? e.Message : $"{e.GetType().Name}: {FirstMessage(e)}", info));
        }
    }

    /// <summary>
    /// Null when a plugin built against plugin API <paramref name="major"/>.<paramref name="minor"/> runs on a host
    /// providing <paramref name="host"/> (same major, minor not newer); otherwise why not and which version to use.
    /// </summary>
    internal static string? IncompatibilityOf(int major, int minor, Version host)
    {
        var use = $"build the plugin against the Acr.Abstractions package {ContractPackageVersion} (plugin API {host.Major}.{host.Minor}), the one this acr provides";
        var built = $"built against plugin API {major}.{minor}, but this host provides {host.Major}.{host.Minor}";
        if (major == host.Major && minor <= host.Minor)
        {
            return null;
        }

        return major > host.Major || (major == host.Major && minor > host.Minor)
            ? $"{built}, which is older: {use}, or run it with an acr whose plugin API is {major}.{minor} or a later {major}.x"
            : $"{built}, an older major whose contract this host no longer has: {use}";
    }

    private static string? FindMainAssembly(string folder)
    {
        var byFolder = Path.Combine(folder, Path.GetFileName(folder) + ".dll");
        if (File.Exists(byFolder))
        {
            return byFolder;
        }

        var deps = Directory.GetFiles(folder, "*.deps.json");
        if (deps.Length == 1)
        {
            var candidate = deps[0][..^".deps.json".Length] + ".dll";
            return File.Exists(candidate) ? candidate : null;
        }

        var dlls = Directory.GetFiles(folder, "*.dll");
        return dlls.Length == 1 ? dlls[0] : null;
    }

    /// <summary>Runtime assemblies the plugin's deps.json lists that are not in its folder (the shared contract excepted).</summary>
    private static List<string> MissingDependencies(string mainPath)
    {
        var depsPath = Path.ChangeExtension(mainPath, null) + ".deps.json";
        var missing = new List<string>();
        if (!File.Exists(depsPath))
        {
            return missing;
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(depsPath));
            if (!doc.RootElement.TryGetProperty("targets", out var targets))
            {
                return missing;
            }

            var folder = Path.GetDirectoryName(mainPath)!;
            foreach (var target in targets.EnumerateObject())
            {
                foreach (var library in target.Value.EnumerateObject())
                {
                    if (!library.Value.TryGetProperty("runtime", out var runtime))
                    {
                        continue;
                    }

                    foreach (var asset in runtime.EnumerateObject())
                    {
                        var file = Path.GetFileName(asset.Name);
                        if (string.Equals(Path.GetFileNameWithoutExtension(file), SharedAssemblyName, StringComparison.OrdinalIgnoreCase))
                        {
                            continue;
                        }

                        if (!File.Exists(Path.Combine(folder, file)) && !File.Exists(Path.Combine(folder, asset.Name)))
                        {
                            missing.Add(file);
                        }
                    }
                }

                break; // the first target is the plugin's own
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // An unreadable or malformed deps.json is reported by the runtime when the plugin loads.
        }

        return missing;
    }

    private static PluginDescriptor Failed(string folder, string? name, string reason, PluginAssemblyInfo? info = null) =>
        new(name ?? Path.GetFileName(folder), info?.Version.ToString(), info?.ApiMajor is { } m ? $"{m}.{info.ApiMinor}" : null, folder, [], [], reason);

    private static string FirstMessage(Exception e) => e switch
    {
        ReflectionTypeLoadException r when r.LoaderExceptions.FirstOrDefault(x => x is not null) is { } first => first.Message,
        _ => e.Message,
    };

    /// <summary>A loaded plugin: its name, the loader that owns its load context, and that context.</summary>
    private sealed record LoadedPlugin(string Name, PluginLoader Loader, AssemblyLoadContext Context);

    /// <summary>Collects what a plugin registers so it can be committed all at once, or not at all.</summary>
    private sealed class StagingRegistry : IPluginRegistry
    {
        private readonly List<Action<ComponentRegistry>> _kernels = [];

        public List<IDetector> Detectors { get; } = [];

        public List<IBackendProvider> Backends { get; } = [];

        public List<ComputeOp> Ops { get; } = [];

        public void AddDetector(IDetector detector) => AddNamed(Detectors, detector, d => d.Name, "detector");

        public void AddBackend(IBackendProvider provider) => AddNamed(Backends, provider, b => b.Name, "backend");

        public void AddOp(ComputeOp op)
        {
            if (op is null)
            {
                throw new PluginLoadException("registers an op that is null");
            }

            if (Ops.Any(o => ReferenceEquals(o, op)))
            {
                return;
            }

            if (Ops.Any(o => string.Equals(o.Name, op.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new PluginLoadException($"registers two ops named '{op.Name}'");
            }

            Ops.Add(op);
        }

        public void AddKernel<TArgs>(string backend, ComputeOp<TArgs> op, Func<ComputeBackend, IKernel<TArgs>> factory)
            where TArgs : struct
        {
            if (string.IsNullOrWhiteSpace(backend) || op is null || factory is null)
            {
                throw new PluginLoadException("registers a kernel without a backend name, an op or a factory");
            }

            AddOp(op);
            _kernels.Add(registry => registry.AddKernel(backend, op, factory));
        }

        /// <summary>Adds everything to <paramref name="registry"/> (after the conflict check).</summary>
        public void CommitTo(ComponentRegistry registry)
        {
            foreach (var d in Detectors)
            {
                registry.AddDetector(d);
            }

            foreach (var b in Backends)
            {
                registry.AddBackend(b);
            }

            foreach (var o in Ops)
            {
                registry.AddOp(o);
            }

            foreach (var k in _kernels)
            {
                k(registry);
            }
        }

        /// <summary>Adds a named component, refusing one that is null, has no name, or repeats a name (ignoring case).</summary>
        private static void AddNamed<T>(List<T> items, T? item, Func<T, string> name, string kind)
            where T : class
        {
            if (item is null || string.IsNullOrWhiteSpace(name(item)))
            {
                throw new PluginLoadException($"registers a {kind} that is null or has no name");
            }

            if (items.Any(i => string.Equals(name(i), name(item), StringComparison.OrdinalIgnoreCase)))
            {
                throw new PluginLoadException($"registers {kind} '{name(item)}' twice");
            }

            items.Add(item);
        }
    }
}

/// <summary>A plugin could not be loaded; the message is the reason shown by 'acr plugins'.</summary>
public sealed class PluginLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PluginLoadException()
    {
    }

    /// <summary>Creates the exception with its reason.</summary>
    /// <param name="message">The reason.</param>
    public PluginLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its reason and cause.</summary>
    /// <param name="message">The reason.</param>
    /// <param name="innerException">The cause.</param>
    public PluginLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
