namespace Acr.Plugins;

/// <summary>Declares the plugin-contract version an assembly was built against (see <see cref="PluginApi"/>).</summary>
/// <param name="major">Contract major version, normally <see cref="PluginApi.Major"/>.</param>
/// <param name="minor">Contract minor version, normally <see cref="PluginApi.Minor"/>.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class AcrPluginApiAttribute(int major, int minor) : Attribute
{
    /// <summary>Contract major version.</summary>
    public int Major { get; } = major;

    /// <summary>Contract minor version.</summary>
    public int Minor { get; } = minor;
}
