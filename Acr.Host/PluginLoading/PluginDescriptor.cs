namespace Acr.Host.PluginLoading;

/// <summary>One plugin found during discovery, loaded or not.</summary>
/// <param name="Name">Plugin name (its main assembly's simple name, or the folder name when that is unknown).</param>
/// <param name="Version">Assembly version, when known.</param>
/// <param name="ApiVersion">The plugin-API version it declares (<c>major.minor</c>), when known.</param>
/// <param name="Folder">Its folder.</param>
/// <param name="Detectors">Names of the detectors it registered.</param>
/// <param name="Backends">Names of the backends it registered.</param>
/// <param name="Error">Why it did not load, or null when it loaded.</param>
public sealed record PluginDescriptor(string Name, string? Version, string? ApiVersion, string Folder, IReadOnlyList<string> Detectors, IReadOnlyList<string> Backends, string? Error)
{
    /// <summary>Names of the ops it declared (with their kernels, if any).</summary>
    public IReadOnlyList<string> Ops { get; init; } = [];

    /// <summary>Whether the plugin loaded and registered its components.</summary>
    public bool IsLoaded => Error is null;
}
