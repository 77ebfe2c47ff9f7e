using System.Reflection;

namespace Acr.Host.Tests;

/// <summary>The plugins the tests load: the sample and the faulty test plugins from their build folders, and the built-in ones beside the host.</summary>
internal static class TestPlugins
{
    /// <summary>The subfolder each plugin goes into in <see cref="FolderWith"/>: the sample in knn/, a test plugin under its assembly name.</summary>
    private static readonly Dictionary<string, string> InstallNames = new()
    {
        ["SamplePlugin"] = "knn",
        ["ThrowingPlugin"] = "Acr.TestPlugins.Throwing",
        ["DuplicatePlugin"] = "Acr.TestPlugins.Duplicate",
        ["FutureApiPlugin"] = "Acr.TestPlugins.FutureApi",
        ["FutureMinorPlugin"] = "Acr.TestPlugins.FutureMinor",
        ["JsonRootedPlugin"] = "Acr.TestPlugins.JsonRooted",
        ["JsonSourceGenPlugin"] = "Acr.TestPlugins.JsonSourceGen",
    };

    /// <summary>The folder beside the test assembly that holds the built-in plugins.</summary>
    public static string BuiltIn => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>The build folder of the plugin named by <paramref name="key"/> (SamplePlugin, ThrowingPlugin, ...).</summary>
    public static string BuiltFolder(string key) =>
        typeof(TestPlugins).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>Copies a folder tree over another, overwriting files (how a user drops a new plugin version in).</summary>
    public static void CopyTree(string from, string to)
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

    /// <summary>Copies a built plugin into <paramref name="root"/>/<paramref name="name"/>, as a user would drop it into a plugins folder.</summary>
    public static string Install(TempDirectory root, string key, string name)
    {
        var source = BuiltFolder(key);
        var target = Path.Combine(root.Path, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    /// <summary>A fresh temporary folder holding the built plugins named by <paramref name="keys"/>, each in its own subfolder (see <see cref="InstallNames"/>).</summary>
    public static TempDirectory FolderWith(params string[] keys)
    {
        var folder = new TempDirectory();
        foreach (var key in keys)
        {
            Install(folder, key, InstallNames[key]);
        }

        return folder;
    }

    /// <summary>Loads the plugins of <paramref name="folders"/>, runs <paramref name="test"/> on the catalog and unloads it, whatever happens.</summary>
    public static void WithCatalog(IEnumerable<string> folders, Action<PluginCatalog> test)
    {
        var catalog = PluginCatalog.Load(folders);
        try
        {
            test(catalog);
        }
        finally
        {
            catalog.Unload();
        }
    }
}
