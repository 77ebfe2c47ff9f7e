using Acr.Host.IO;

namespace Acr.Host.Cli;

/// <summary>Checks output locations before any long work starts, so a bad --out fails in a second, not after training.</summary>
internal static class OutputPaths
{
    /// <summary>Ensures <paramref name="file"/> can be created: its directory exists and accepts a new file.</summary>
    public static void CheckFile(string file)
    {
        var full = Path.GetFullPath(file);
        if (Directory.Exists(full))
        {
            throw new OutputPathException($"Cannot write output '{file}': it is an existing directory (give a file name).");
        }

        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new OutputPathException($"Cannot write output '{file}': directory '{dir}' does not exist (create it or choose another --out).");
        }

        Probe(dir, file);
    }

    /// <summary>Creates <paramref name="directory"/> if needed and ensures it accepts new files.</summary>
    public static void PrepareDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(full))
        {
            throw new OutputPathException($"Cannot write to output folder '{directory}': a file of that name exists (choose another --out).");
        }

        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputPathException($"Cannot create output folder '{directory}': {e.Message} (choose another --out).", e);
        }

        Probe(full, directory);
    }

    private static void Probe(string dir, string shown)
    {
        var probe = Path.Combine(dir, $".acr-probe-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputPathException($"Cannot write output '{shown}': directory '{dir}' is not writable ({e.Message}); fix its permissions or choose another --out.", e);
        }
    }
}
