namespace Acr.Backends.Gpu.Tests;

/// <summary>When the OpenCL tests run and when they skip, and the reason they give (they run wherever the root is).</summary>
public sealed class OpenClRootTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("acr-opencl-root-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Without_the_root_the_tests_skip_and_say_how_to_make_it()
    {
        var reason = OpenClRoot.Check(_root, "/repo", "root", linux: true);
        Assert.NotNull(reason);
        Assert.Contains($"no OpenCL root at {_root}", reason, StringComparison.Ordinal);
        Assert.Contains("scripts/opencl-root.sh prepare", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void With_the_root_they_run_as_root_and_skip_for_anyone_else_or_without_the_script()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.WriteAllText(Path.Combine(_root, "etc", "acr-opencl-root"), "format 1\n");
        Assert.Null(OpenClRoot.Check(_root, "/repo", "root", linux: true));
        Assert.Contains("need root", OpenClRoot.Check(_root, "/repo", "builder", linux: true), StringComparison.Ordinal);
        Assert.Contains("opencl-root.sh was not found", OpenClRoot.Check(_root, null, "root", linux: true), StringComparison.Ordinal);
        Assert.Equal("the OpenCL root is a Linux chroot", OpenClRoot.Check(_root, "/repo", "root", linux: false));
    }

    [Fact]
    public void Here_the_repository_and_its_script_are_found()
    {
        Assert.NotNull(OpenClRoot.Repository);
        Assert.True(File.Exists(OpenClRoot.Script), OpenClRoot.Script);
    }
}
