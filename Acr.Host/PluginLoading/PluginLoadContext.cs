using System.Reflection;
using System.Runtime.Loader;

namespace Acr.Host.PluginLoading;

/// <summary>
/// One collectible load context per plugin folder. The contract (<c>Acr.Abstractions</c>) and the
/// framework always come from the default context, so contract types are identical on both sides;
/// everything the plugin's deps.json lists (managed and native) resolves from the plugin's own folder
/// and stays private to it, so two plugins may carry two versions of one library.
/// </summary>
public sealed class PluginLoadContext : AssemblyLoadContext
{
    private static readonly HashSet<string> SharedAssemblies = new(StringComparer.OrdinalIgnoreCase) { "Acr.Abstractions" };

    private readonly AssemblyDependencyResolver _resolver;

    /// <summary>Creates the context for the plugin whose main assembly is <paramref name="mainAssemblyPath"/>.</summary>
    /// <param name="mainAssemblyPath">Full path of the plugin's main assembly (its deps.json sits beside it).</param>
    public PluginLoadContext(string mainAssemblyPath)
        : base(name: "plugin:" + Path.GetFileNameWithoutExtension(mainAssemblyPath), isCollectible: true)
    {
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
    }

    /// <summary>Whether <paramref name="name"/> is part of the contract shared with the host.</summary>
    /// <param name="name">An assembly name.</param>
    public static bool IsShared(AssemblyName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Name is { } n && SharedAssemblies.Contains(n);
    }

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (IsShared(assemblyName))
        {
            return null; // the default context's copy: one set of contract types
        }

        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    /// <inheritdoc />
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
