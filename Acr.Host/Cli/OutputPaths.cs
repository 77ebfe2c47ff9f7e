using System.Runtime.InteropServices;
using Acr.Host.IO;

namespace Acr.Host.Cli;

/// <summary>
/// Checks output locations before any long work starts, so a bad --out fails in a second, not after training, and an
/// output can never destroy anything: it may not be one of the command's inputs (compared after resolving symlinks),
/// and an existing output must be a regular file — a symbolic link, a device (<c>/dev/stdout</c>, <c>/dev/null</c>), a
/// pipe or a directory is refused rather than replaced by the temp-file-and-rename write.
/// </summary>
internal static partial class OutputPaths
{
    private const int MaxLinkHops = 40;

    /// <summary>
    /// Ensures <paramref name="file"/> can be created safely: its directory exists and accepts a new file, it is not one
    /// of <paramref name="inputs"/>, and if it exists it is a regular file.
    /// </summary>
    /// <param name="file">The --out path.</param>
    /// <param name="inputs">The command's input files, each with the option that named it (e.g. ("--data", path)).</param>
    public static void CheckFile(string file, params (string Option, string Path)[] inputs)
    {
        var full = Path.GetFullPath(file);
        CheckNotInput(file, full, "--out", inputs);
        CheckReplaceable(full, file);
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new OutputPathException($"Cannot write output '{file}': directory '{dir}' does not exist (create it or choose another --out).");
        }

        Probe(dir, file);
    }

    /// <summary>
    /// Checks that <paramref name="directory"/> can hold the outputs named <paramref name="fileNames"/>, without creating
    /// it: it is a folder (or does not exist yet and its nearest existing parent accepts new entries), none of the files
    /// is one of <paramref name="inputs"/>, and each that exists is a regular file.
    /// </summary>
    /// <returns>Whether the folder exists already.</returns>
    public static bool CheckDirectory(string directory, IEnumerable<string> fileNames, params (string Option, string Path)[] inputs)
    {
        var full = Path.GetFullPath(directory);
        if (IsSymbolicLink(full) && !Directory.Exists(full))
        {
            throw new OutputPathException($"Cannot write to output folder '{directory}': it is a symbolic link that does not lead to a folder (remove it or choose another --out).");
        }

        if (File.Exists(full))
        {
            throw new OutputPathException($"Cannot write to output folder '{directory}': a file of that name exists (choose another --out).");
        }

        foreach (var name in fileNames)
        {
            var path = Path.Combine(full, name);
            CheckNotInput(Path.Combine(directory, name), path, "--out", inputs);
            CheckReplaceable(path, Path.Combine(directory, name));
        }

        if (Directory.Exists(full))
        {
            Probe(full, directory);
            return true;
        }

        var parent = Path.GetDirectoryName(full);
        while (parent is not null && !Directory.Exists(parent))
        {
            if (File.Exists(parent))
            {
                throw new OutputPathException($"Cannot create output folder '{directory}': '{parent}' is a file, not a folder (choose another --out).");
            }

            parent = Path.GetDirectoryName(parent);
        }

        if (parent is not null)
        {
            Probe(parent, directory);
        }

        return false;
    }

    /// <summary>
    /// Creates <paramref name="directory"/> (and missing parents); returns the folders it created, deepest first, for
    /// <see cref="RemoveCreated"/> to take away again if the run fails.
    /// </summary>
    public static IReadOnlyList<string> CreateDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        var missing = new List<string>();
        for (var d = full; d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d))
        {
            missing.Add(d);
        }

        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            RemoveCreated(missing);
            throw new OutputPathException($"Cannot create output folder '{directory}': {e.Message} (choose another --out).", e);
        }

        return missing;
    }

    /// <summary>Removes the folders <see cref="CreateDirectory"/> created, deepest first, where they are still empty.</summary>
    public static void RemoveCreated(IReadOnlyList<string> created)
    {
        foreach (var d in created)
        {
            try
            {
                if (Directory.Exists(d) && !Directory.EnumerateFileSystemEntries(d).Any())
                {
                    Directory.Delete(d);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the failure that brought us here is the one to report.
            }
        }
    }

    /// <summary>
    /// The canonical form of <paramref name="path"/>: absolute, with every symbolic link along it (in the folders and
    /// in the last component) replaced by what it points to. A path that does not exist keeps its missing tail as given.
    /// </summary>
    public static string Canonical(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? string.Empty;
        var pending = new Stack<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = root;
        var hops = 0;
        while (pending.Count > 0)
        {
            var next = Path.Combine(current, pending.Pop());
            string? target = null;
            try
            {
                target = IsSymbolicLink(next) ? new FileInfo(next).LinkTarget : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                target = null;
            }

            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw new OutputPathException($"Cannot resolve '{path}': more than {MaxLinkHops} symbolic links (a loop?); choose another path.");
            }

            var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
            var resolvedRoot = Path.GetPathRoot(resolved) ?? string.Empty;
            foreach (var part in resolved[resolvedRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(part);
            }

            current = resolvedRoot;
        }

        return current;
    }

    private static StringComparison PathComparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static void CheckNotInput(string shown, string full, string outOption, (string Option, string Path)[] inputs)
    {
        var canonical = Canonical(full);
        foreach (var (option, input) in inputs)
        {
            if (string.Equals(canonical, Canonical(input), PathComparison))
            {
                throw new OutputPathException(
                    $"Cannot write output '{shown}': it is the same file as {option} '{input}', which would be overwritten (choose another {outOption}).");
            }
        }
    }

    /// <summary>Refuses an existing entry at <paramref name="full"/> that is not a regular file.</summary>
    private static void CheckReplaceable(string full, string shown)
    {
        if (IsSymbolicLink(full))
        {
            var target = new FileInfo(full).LinkTarget;
            throw new OutputPathException(
                $"Cannot write output '{shown}': it is a symbolic link (to '{target}'); acr does not write through links and will not replace one with a file. " +
                "Give the real path as --out, or remove the link.");
        }

        if (Directory.Exists(full))
        {
            throw new OutputPathException($"Cannot write output '{shown}': it is an existing directory (give a file name).");
        }

        if (File.Exists(full) && EntryKind(full) is { } kind && kind != "regular file")
        {
            throw new OutputPathException(
                $"Cannot write output '{shown}': it is a {kind}, not a regular file; writing would replace it. Choose a regular file as --out.");
        }
    }

    private static bool IsSymbolicLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // missing, or not readable: not a link we can see
        }
    }

    /// <summary>
    /// What kind of file-system entry <paramref name="path"/> is (not following a final symbolic link), or null where
    /// that cannot be told. On Unix it reads the file type bits of lstat(2) through the runtime's own native shim
    /// (SystemNative_LStat, the call behind <see cref="FileSystemInfo"/>), since .NET exposes no file type besides
    /// directory and link.
    /// </summary>
    private static string? EntryKind(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return "regular file";
        }

        try
        {
            var buffer = new byte[512]; // larger than the shim's FileStatus struct in any runtime version
            if (NativeStat.LStat(path, buffer) != 0)
            {
                return null;
            }

            var mode = BitConverter.ToInt32(buffer, 4); // FileStatus { int Flags; int Mode; ... }
            return (mode & 0xF000) switch
            {
                0x8000 => "regular file",
                0x4000 => "directory",
                0xA000 => "symbolic link",
                0x2000 => "character device",
                0x6000 => "block device",
                0x1000 => "named pipe (FIFO)",
                0xC000 => "socket",
                _ => null,
            };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
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

    private static partial class NativeStat
    {
        [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_LStat", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int LStat(string path, [Out] byte[] output);
    }
}
