using Acr.Host.IO;

namespace Acr.Host.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] TempFiles() => Directory.GetFiles(_dir.Path, ".*.tmp");

    [Fact]
    public void Writes_and_replaces_files()
    {
        string path = _dir.File("out.json");
        AtomicFile.WriteAllText(path, "first");
        Assert.Equal("first", File.ReadAllText(path));
        AtomicFile.WriteAllText(path, "second ü");
        Assert.Equal("second ü", File.ReadAllText(path));
        AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Empty(TempFiles());
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Relative_paths_work()
    {
        string name = "relative-" + Guid.NewGuid().ToString("N") + ".txt";
        try
        {
            AtomicFile.WriteAllText(name, "x");
            Assert.Equal("x", File.ReadAllText(name));
        }
        finally
        {
            File.Delete(name);
        }
    }

    [Fact]
    public void A_failing_writer_leaves_the_old_file_and_no_temp_file()
    {
        string path = _dir.File("model.bin");
        AtomicFile.WriteAllText(path, "old content");

        var ex = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new InvalidOperationException("boom");
        }));

        Assert.Equal("boom", ex.Message);
        Assert.Equal("old content", File.ReadAllText(path));
        Assert.Empty(TempFiles());
    }

    [Fact]
    public void A_failing_writer_creates_no_file_when_there_was_none()
    {
        string path = _dir.File("new.bin");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, _ => throw new InvalidOperationException("boom")));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Missing_directory_gives_a_clear_error()
    {
        string missing = Path.Combine(_dir.Path, "no-such-dir");
        string path = Path.Combine(missing, "out.json");
        var ex = Assert.Throws<OutputPathException>(() => AtomicFile.WriteAllText(path, "x"));
        Assert.Equal($"Cannot write output '{path}': directory '{missing}' does not exist (create it or choose another --out)", ex.Message);
        Assert.IsAssignableFrom<IOException>(ex);
    }

    [Fact]
    public void Directory_that_is_a_file_or_target_that_is_a_directory_gives_a_clear_error()
    {
        string file = _dir.Write("plain.txt", "x");
        Assert.Contains("is a file, not a directory", Assert.Throws<OutputPathException>(() => AtomicFile.WriteAllText(Path.Combine(file, "out"), "x")).Message, StringComparison.Ordinal);

        Directory.CreateDirectory(_dir.File("sub"));
        Assert.Contains("is an existing directory", Assert.Throws<OutputPathException>(() => AtomicFile.WriteAllText(_dir.File("sub"), "x")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unwritable_directory_gives_a_clear_error()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix permissions only.
        }

        string locked = _dir.File("locked");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            try
            {
                File.WriteAllText(Path.Combine(locked, "probe"), "x");
                return; // Running with privileges that ignore permissions (e.g. root): nothing to test.
            }
            catch (UnauthorizedAccessException)
            {
            }

            var ex = Assert.Throws<OutputPathException>(() => AtomicFile.WriteAllText(Path.Combine(locked, "out.json"), "x"));
            Assert.Contains("is not writable", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
