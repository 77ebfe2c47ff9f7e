using Acr.Compute;
using Acr.Detectors;
using Acr.Plugins;

namespace Acr.Host.Composition;

/// <summary>
/// The detectors and backends available to the host, by case-insensitive name. Plugins fill it
/// through <see cref="IPluginRegistry"/>; a duplicate name is refused with both owners named.
/// </summary>
public sealed class ComponentRegistry : IPluginRegistry
{
    private readonly Dictionary<string, (IDetector Detector, string Owner)> _detectors = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (IBackendProvider Provider, string Owner)> _backends = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Name of the plugin currently registering (used to name owners in messages).</summary>
    public string CurrentOwner { get; set; } = "host";

    /// <summary>Registered detectors, sorted by name.</summary>
    public IReadOnlyList<IDetector> Detectors => _detectors.Values.Select(v => v.Detector).OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Registered backend providers, sorted by name.</summary>
    public IReadOnlyList<IBackendProvider> Backends => _backends.Values.Select(v => v.Provider).OrderBy(b => b.Name, StringComparer.Ordinal).ToArray();

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

    /// <summary>Forgets every component (before plugins are unloaded).</summary>
    public void Clear()
    {
        _detectors.Clear();
        _backends.Clear();
    }

    /// <summary>Which plugin registered a detector or backend of this name.</summary>
    /// <param name="name">Component name.</param>
    public string? OwnerOf(string name) =>
        _detectors.TryGetValue(name, out var d) ? d.Owner : _backends.TryGetValue(name, out var b) ? b.Owner : null;

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
    /// Creates a backend: on <paramref name="deviceIndex"/> if given, else on the first usable device.
    /// </summary>
    /// <param name="name">Backend name.</param>
    /// <param name="deviceIndex">Device index, or null for the first usable one.</param>
    /// <param name="options">Backend options.</param>
    /// <exception cref="AcrUsageException">No such backend, or no usable device; the message gives the reasons.</exception>
    public IComputeBackend CreateBackend(string name, int? deviceIndex = null, IReadOnlyDictionary<string, string>? options = null)
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

        try
        {
            return provider.Create(device, options);
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException($"Backend '{name}': {e.Message}", e);
        }
    }

    private static string List(IEnumerable<string> names)
    {
        var sorted = names.OrderBy(n => n, StringComparer.Ordinal).ToArray();
        return sorted.Length == 0 ? "(none)" : string.Join(", ", sorted);
    }
}
