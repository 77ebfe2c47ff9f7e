using Acr.Plugins;

namespace Acr.Host.Composition;

/// <summary>
/// The detectors, backends and plugin ops available to the host, by case-insensitive name. Plugins fill it
/// through <see cref="IPluginRegistry"/>; a duplicate name is refused with both owners named. The scalar
/// <see cref="ReferenceBackend"/> is always there (owner "host"), for cross-checking results.
/// </summary>
public sealed class ComponentRegistry : IPluginRegistry
{
    private readonly Dictionary<string, (IDetector Detector, string Owner)> _detectors = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (IBackendProvider Provider, string Owner)> _backends = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (ComputeOp Op, string Owner)> _ops = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<PluginKernel> _kernels = [];

    /// <summary>Creates a registry holding only the built-in reference backend.</summary>
    public ComponentRegistry()
    {
        _backends.Add(ReferenceBackend.BackendName, (new ReferenceBackendProvider(), "host"));
    }

    /// <summary>Name of the plugin currently registering (used to name owners in messages).</summary>
    public string CurrentOwner { get; set; } = "host";

    /// <summary>Registered detectors, sorted by name.</summary>
    public IReadOnlyList<IDetector> Detectors => _detectors.Values.Select(v => v.Detector).OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Registered backend providers, sorted by name.</summary>
    public IReadOnlyList<IBackendProvider> Backends => _backends.Values.Select(v => v.Provider).OrderBy(b => b.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Ops declared by plugins, sorted by name (the contract's own ops are not listed here).</summary>
    public IReadOnlyList<ComputeOp> PluginOps => _ops.Values.Select(v => v.Op).OrderBy(o => o.Name, StringComparer.Ordinal).ToArray();

    /// <inheritdoc />
    public void AddDetector(IDetector detector)
    {
        ArgumentNullException.ThrowIfNull(detector);
        if (_detectors.TryGetValue(detector.Name, out var existing))
        {
            throw new InvalidOperationException($"Detector '{detector.Name}' from {CurrentOwner} is already registered by {existing.Owner}; names must be unique.");
        }

        _detectors.Add(detector.Name, (detector, CurrentOwner));
    }

    /// <inheritdoc />
    public void AddBackend(IBackendProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (_backends.TryGetValue(provider.Name, out var existing))
        {
            throw new InvalidOperationException($"Backend '{provider.Name}' from {CurrentOwner} is already registered by {existing.Owner}; names must be unique.");
        }

        _backends.Add(provider.Name, (provider, CurrentOwner));
    }

    /// <inheritdoc />
    public void AddOp(ComputeOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (_ops.TryGetValue(op.Name, out var existing))
        {
            if (ReferenceEquals(existing.Op, op))
            {
                return;
            }

            throw new InvalidOperationException($"Op '{op.Name}' from {CurrentOwner} is already registered by {existing.Owner}; names must be unique.");
        }

        _ops.Add(op.Name, (op, CurrentOwner));
    }

    /// <inheritdoc />
    public void AddKernel<TArgs>(string backend, ComputeOp<TArgs> op, Func<ComputeBackend, IKernel<TArgs>> factory)
        where TArgs : struct
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backend);
        ArgumentNullException.ThrowIfNull(factory);
        AddOp(op);
        if (_kernels.Any(k => ReferenceEquals(k.Op, op) && string.Equals(k.Backend, backend, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"Op '{op.Name}' already has a kernel for backend '{backend}'.");
        }

        _kernels.Add(new PluginKernel<TArgs>(backend, op, factory));
    }

    /// <summary>Forgets every plugin component (before plugins are unloaded); the reference backend stays.</summary>
    public void Clear()
    {
        _detectors.Clear();
        _ops.Clear();
        _kernels.Clear();
        foreach (var name in _backends.Where(b => b.Value.Owner != "host").Select(b => b.Key).ToArray())
        {
            _backends.Remove(name);
        }
    }

    /// <summary>Which plugin registered a detector, backend or op of this name.</summary>
    /// <param name="name">Component name.</param>
    public string? OwnerOf(string name) =>
        _detectors.TryGetValue(name, out var d) ? d.Owner
        : _backends.TryGetValue(name, out var b) ? b.Owner
        : _ops.TryGetValue(name, out var o) ? o.Owner
        : null;

    /// <summary>How backends created from <paramref name="provider"/> run <paramref name="op"/> (a plugin op).</summary>
    /// <param name="op">A plugin op.</param>
    /// <param name="provider">A backend provider.</param>
    public KernelSupport SupportOf(ComputeOp op, IBackendProvider provider)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(provider);
        if (_kernels.Any(k => ReferenceEquals(k.Op, op) && string.Equals(k.Backend, provider.Name, StringComparison.OrdinalIgnoreCase)))
        {
            return KernelSupport.Kernel;
        }

        return op.AllowsHostFallback && provider.MissingKernelPolicy == MissingKernelPolicy.RunReferenceOnHost ? KernelSupport.ReferenceOnHost : KernelSupport.Unsupported;
    }

    /// <summary>The detector named <paramref name="name"/>.</summary>
    /// <param name="name">Detector name.</param>
    /// <exception cref="AcrUsageException">No plugin provides it; the message lists those available.</exception>
    public IDetector GetDetector(string name) =>
        _detectors.TryGetValue(name, out var d)
            ? d.Detector
            : throw new AcrUsageException($"No plugin provides a detector named '{name}'. Available: {List(_detectors.Keys)}. Run 'acr plugins' to see what loaded and why others did not.");

    /// <summary>The backend provider named <paramref name="name"/>.</summary>
    /// <param name="name">Backend name.</param>
    /// <exception cref="AcrUsageException">No plugin provides it; the message lists those available.</exception>
    public IBackendProvider GetBackend(string name) =>
        _backends.TryGetValue(name, out var b)
            ? b.Provider
            : throw new AcrUsageException($"No plugin provides a backend named '{name}'. Available: {List(_backends.Keys)}. Run 'acr plugins' to see what loaded and why others did not.");

    /// <summary>
    /// Creates a backend: on <paramref name="deviceIndex"/> if given, else on the first usable device, with every
    /// plugin kernel registered for it installed.
    /// </summary>
    /// <param name="name">Backend name.</param>
    /// <param name="deviceIndex">Device index, or null for the first usable one.</param>
    /// <param name="options">Backend options.</param>
    /// <exception cref="AcrUsageException">No such backend, or no usable device; the message gives the reasons.</exception>
    public ComputeBackend CreateBackend(string name, int? deviceIndex = null, IReadOnlyDictionary<string, string>? options = null)
    {
        var provider = GetBackend(name);
        var devices = provider.Devices;
        var device = deviceIndex is { } idx
            ? devices.FirstOrDefault(d => d.Index == idx)
              ?? throw new AcrUsageException($"Backend '{name}' has no device {idx}; it found: {string.Join(", ", devices.Select(d => d.Id))}. Run 'acr devices'.")
            : devices.FirstOrDefault(d => d.IsUsable);
        if (device is null || !device.IsUsable)
        {
            var reasons = devices.Count == 0 ? "no device found" : string.Join("; ", devices.Select(d => $"{d.Id} {d.Name}: {d.Reason ?? "usable"}"));
            throw new AcrUsageException($"Backend '{name}' has no usable device ({reasons}). Choose another with --backend (e.g. cpu).");
        }

        ComputeBackend backend;
        try
        {
            backend = provider.Create(device, options);
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException($"Backend '{name}': {e.UserMessage()}", e);
        }

        try
        {
            foreach (var kernel in _kernels.Where(k => string.Equals(k.Backend, provider.Name, StringComparison.OrdinalIgnoreCase)))
            {
                kernel.Install(backend);
            }
        }
        catch
        {
            backend.Dispose();
            throw;
        }

        return backend;
    }

    private static string List(IEnumerable<string> names)
    {
        var sorted = names.OrderBy(n => n, StringComparer.Ordinal).ToArray();
        return sorted.Length == 0 ? "(none)" : string.Join(", ", sorted);
    }

    private abstract class PluginKernel(string backend, ComputeOp op)
    {
        public string Backend { get; } = backend;

        public ComputeOp Op { get; } = op;

        public abstract void Install(ComputeBackend backend);
    }

    private sealed class PluginKernel<TArgs>(string backend, ComputeOp<TArgs> op, Func<ComputeBackend, IKernel<TArgs>> factory) : PluginKernel(backend, op)
        where TArgs : struct
    {
        public override void Install(ComputeBackend backend) => backend.AddKernel(op, factory(backend));
    }
}
