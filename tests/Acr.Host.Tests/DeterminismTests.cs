namespace Acr.Host.Tests;

/// <summary>Same seed, same CPU backend: bit-identical model files; a different seed gives a different model.</summary>
public class DeterminismTests
{
    /// <summary>
    /// Trains once per entry of <paramref name="variants"/> (extra arguments) on the same synthetic data and settings;
    /// every run must succeed. Returns the model files' bytes, in order.
    /// </summary>
    private static byte[][] TrainModels(int iterations, params string[][] variants)
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 200, features: 8));
        string[] common = ["train", "--data", data, "--label", "cls", "--iterations", $"{iterations}", "--tasks", "8", "--task-size", "64", "--quiet"];
        var models = new byte[variants.Length][];
        for (var i = 0; i < variants.Length; i++)
        {
            var model = tmp.File($"{i}.safetensors");
            Assert.Equal(0, CliHarness.Run([.. common, .. variants[i], "--out", model]).ExitCode);
            models[i] = File.ReadAllBytes(model);
        }

        return models;
    }

    [Fact]
    public void Two_runs_with_the_same_seed_write_identical_model_files()
    {
        var models = TrainModels(15, ["--seed", "3"], ["--seed", "3"], ["--seed", "4"]);
        Assert.Equal(models[0], models[1]);
        Assert.NotEqual(models[0], models[2]);
    }

    [Fact]
    public void Thread_count_does_not_change_the_model()
    {
        var models = TrainModels(10, ["--threads", "1"], ["--threads", "2"]);
        Assert.Equal(models[0], models[1]);
    }
}
