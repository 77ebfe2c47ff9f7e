namespace Acr.Compute;

/// <summary>
/// One device a backend provider found, usable or not. A provider lists every device it sees; one it
/// cannot use carries the reason instead of failing the host.
/// </summary>
/// <param name="Backend">Name of the backend, e.g. <c>cpu</c>.</param>
/// <param name="Index">Index of the device within its backend.</param>
/// <param name="Name">Human-readable device name.</param>
/// <param name="IsUsable">Whether a backend can be created on it.</param>
/// <param name="Reason">Why it is not usable (null when usable).</param>
/// <param name="Properties">Free-form facts worth printing: cores, vector width, driver, memory.</param>
public sealed record DeviceDescriptor(string Backend, int Index, string Name, bool IsUsable, string? Reason, IReadOnlyDictionary<string, string> Properties)
{
    /// <summary>The device's identifier, <c>backend:index</c>.</summary>
    public string Id => $"{Backend}:{Index}";
}
