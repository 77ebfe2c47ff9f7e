using Acr.Host.Cli;
using Acr.Host.Models;
using Spectre.Console;

namespace Acr.Host.Tests;

/// <summary>Requests that cannot be done are refused before any work; a diverging run or an exhausted memory ends with exit 2 and what to lower.</summary>
public class BoundedRequestTests
{
    private static readonly string[] Fast = ["--iterations", "3", "--tasks", "4", "--task-size", "16", "--quiet"];

    private static void AssertRefused(CliHarness.Result r, params string[] phrases)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}; stderr: {r.Error}; stdout: {r.Output}");
        foreach (var phrase in phrases)
        {
            Assert.Contains(phrase, r.Error, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Seeds_beyond_the_maximum_are_refused_before_reading_the_data()
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["evaluate", "--data", tmp.File("missing.csv"), "--label", "cls", "--seeds", "100000000", "--out", tmp.File("o"), .. Fast]);
        AssertRefused(r, "--seeds must be between 1 and 10000");
        Assert.False(Directory.Exists(tmp.File("o")));
    }

    [Theory]
    [InlineData("--iterations", "20000000", "--iterations must be between 1 and 10000000")]
    [InlineData("--test-draws", "20000", "--test-draws must be between 1 and 10000")]
    public void Other_counts_beyond_their_maximum_are_refused(string option, string value, string message)
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["evaluate", "--data", tmp.File("missing.csv"), "--label", "cls", "--out", tmp.File("o"), "--tasks", "4", "--task-size", "16", option, value]);
        AssertRefused(r, message);
    }

    [Fact]
    public void Tasks_times_task_size_beyond_one_pass_is_refused()
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["train", "--data", tmp.File("missing.csv"), "--out", tmp.File("m.safetensors"), "--tasks", "100000", "--task-size", "100000"]);
        AssertRefused(r, "rows per iteration", "lower one of them");
    }

    [Fact]
    public void Batch_size_beyond_one_pass_is_refused()
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["score", "--model", tmp.File("m.safetensors"), "--data", tmp.File("d.csv"), "--batch-size", "20000000", "--out", tmp.File("s.csv")]);
        AssertRefused(r, $"--batch-size must be between 1 and {MetaTrainingOptions.MaxRowsPerIteration}");
    }

    [Fact]
    public void The_memory_estimate_of_the_kept_scores_refuses_too_many_seeds_and_says_how_many_fit()
    {
        var labels = Enumerable.Range(0, 400).Select(i => ((char)('a' + (i % 4))).ToString()).ToArray();
        var split = ClassSplit.ByLabel(labels, null);
        var options = new ZeroShotProtocolOptions { Seeds = 50, Contaminations = [0.1] };

        // Test classes c and d, 100 rows each, get 11 anomalies each at π = 0.1: 222 rows per seed.
        var perSeed = 222 * ZeroShotByClassProtocol.BytesPerScoreRow;
        ZeroShotByClassProtocol.CheckMemory(split, options, perSeed * 50);
        var e = Assert.Throws<AcrUsageException>(() => ZeroShotByClassProtocol.CheckMemory(split, options, perSeed * 49));
        Assert.Contains("lower --seeds (at most 49 here)", e.Message);
    }

    [Fact]
    public void A_model_with_a_non_finite_weight_is_refused_at_load()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var model = tmp.File("m.safetensors");
        Assert.Equal(0, CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, .. Fast]).ExitCode);

        var file = SafeTensorsFile.Read(model);
        var poisoned = tmp.File("nan.safetensors");
        SafeTensorsWriter.Write(poisoned, file.Metadata, file.Tensors.Select((t, i) =>
        {
            var values = (float[])t.Data.Clone();
            if (i == file.Tensors.Count - 1)
            {
                values[^1] = float.PositiveInfinity;
            }

            return (t.Name, t.Shape, (ReadOnlyMemory<float>)values);
        }));
        var r = CliHarness.Run("score", "--model", poisoned, "--data", data, "--label", "cls", "--out", tmp.File("s.csv"));
        AssertRefused(r, "non-finite weight", file.Tensors[^1].Name, "Retrain");
        Assert.False(File.Exists(tmp.File("s.csv")));
    }

    [Fact]
    public void Divergence_is_the_final_loss_past_ten_times_the_first()
    {
        Assert.Null(LossDivergence.Describe([10, 5, 2]));
        Assert.Null(LossDivergence.Describe([10, 500, 99]));
        Assert.Null(LossDivergence.Describe([-1, 50]));
        Assert.Null(LossDivergence.Describe([3]));
        Assert.Contains("grew from 10 (iteration 1) to 101 (iteration 3)", LossDivergence.Describe([10, 50, 101]));
    }

    [Fact]
    public void A_diverging_training_writes_no_model_and_exits_2_unless_allowed()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(rowsPerClass: 80));
        var model = tmp.File("m.safetensors");
        string[] args = ["train", "--data", data, "--label", "cls", "--out", model, "--iterations", "30", "--tasks", "4", "--task-size", "32", "--lr", "1e5", "--quiet"];
        var refused = CliHarness.Run(args);
        AssertRefused(refused, "training diverged", "was not written", "--allow-divergence");
        Assert.False(File.Exists(model));

        var forced = CliHarness.Run([.. args, "--allow-divergence"]);
        Assert.True(forced.ExitCode == 0, forced.Error);
        Assert.Contains("saved anyway", forced.Error);
        Assert.True(File.Exists(model));
    }

    [Fact]
    public void Out_of_memory_is_exit_2_with_what_to_lower()
    {
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()), Interactive = InteractionSupport.No });
#pragma warning disable CA2201 // the runtime's own exception is what a command sees when memory runs out
        var code = new AcrCli(console, error, _ => throw new OutOfMemoryException()).Run(["devices"]);
#pragma warning restore CA2201
        Assert.Equal(2, code);
        Assert.Contains("out of memory", error.ToString());
        Assert.Contains("--batch-size", error.ToString());
        Assert.DoesNotContain("internal error", error.ToString());
    }
}

/// <summary>A test class with fewer than 2 rows is no task: evaluate leaves it out, warns and records it in metrics.json.</summary>
public class TinyTestClassTests
{
    [Fact]
    public void A_one_row_test_class_is_excluded_with_a_warning_recorded_in_metrics()
    {
        using var tmp = new TempDirectory();
        var csv = SyntheticCsv.Make(classes: 4, rowsPerClass: 60) + "zz,0.5,0.5,0.5,0.5,0.5\n";
        var data = tmp.Write("d.csv", csv);
        var outDir = tmp.File("eval");
        var r = CliHarness.Run("evaluate", "--data", data, "--label", "cls", "--train-classes", "a,b", "--seeds", "1", "--out", outDir,
            "--iterations", "3", "--tasks", "4", "--task-size", "16", "--quiet");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("warning: test class 'zz' has fewer than 2 rows and was excluded", r.Error);
        using var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
        var config = metrics.RootElement.GetProperty("config");
        Assert.Equal(["zz"], config.GetProperty("excludedTestClasses").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Contains("'zz'", config.GetProperty("warnings")[0].GetString());
        Assert.DoesNotContain(",zz,", File.ReadAllText(Path.Combine(outDir, "scores.csv")));
    }

    [Fact]
    public void Too_few_test_classes_left_after_excluding_is_refused()
    {
        var labels = new[] { "a", "a", "b", "b", "c", "c", "d" };
        var e = Assert.Throws<AcrUsageException>(() => ClassSplit.ByLabel(labels, ["a", "b"]));
        Assert.Contains("d has fewer, leaving 1", e.Message);
    }
}
