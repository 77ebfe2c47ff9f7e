namespace Acr.Host.Tests;

/// <summary>Same seed, same CPU backend: bit-identical model files; a different seed gives a different model.</summary>
public class DeterminismTests
{
    [Fact]
    public void Two_runs_with_the_same_seed_write_identical_model_files()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 200, features: 8));
        string[] common = ["train", "--data", data, "--label", "cls", "--iterations", "15", "--tasks", "8", "--task-size", "64", "--quiet"];
        Assert.Equal(0, CliHarness.Run([.. common, "--seed", "3", "--out", tmp.File("a.safetensors")]).ExitCode);
        Assert.Equal(0, CliHarness.Run([.. common, "--seed", "3", "--out", tmp.File("b.safetensors")]).ExitCode);
        Assert.Equal(0, CliHarness.Run([.. common, "--seed", "4", "--out", tmp.File("c.safetensors")]).ExitCode);
        var a = File.ReadAllBytes(tmp.File("a.safetensors"));
        Assert.Equal(a, File.ReadAllBytes(tmp.File("b.safetensors")));
        Assert.NotEqual(a, File.ReadAllBytes(tmp.File("c.safetensors")));
    }

    [Fact]
    public void Thread_count_does_not_change_the_model()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 200, features: 8));
        string[] common = ["train", "--data", data, "--label", "cls", "--iterations", "10", "--tasks", "8", "--task-size", "64", "--quiet"];
        Assert.Equal(0, CliHarness.Run([.. common, "--threads", "1", "--out", tmp.File("a.safetensors")]).ExitCode);
        Assert.Equal(0, CliHarness.Run([.. common, "--threads", "2", "--out", tmp.File("b.safetensors")]).ExitCode);
        Assert.Equal(File.ReadAllBytes(tmp.File("a.safetensors")), File.ReadAllBytes(tmp.File("b.safetensors")));
    }
}
