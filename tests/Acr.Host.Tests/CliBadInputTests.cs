namespace Acr.Host.Tests;

/// <summary>
/// Every bad input gets a clear message naming the problem and the fix, exit code 2, and leaves no
/// output file behind.
/// </summary>
public class CliBadInputTests
{
    private static readonly string[] Fast = ["--iterations", "3", "--tasks", "4", "--task-size", "16", "--quiet"];

    /// <summary>'acr train' on <paramref name="data"/> (label column cls) with the fast settings; <paramref name="extra"/> go before them.</summary>
    private static CliHarness.Result Train(string data, string model, params string[] extra) =>
        CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, .. extra, .. Fast]);

    /// <summary>Trains m.safetensors in <paramref name="tmp"/> on <paramref name="data"/>, which must succeed; returns its path.</summary>
    private static string TrainModel(TempDirectory tmp, string data)
    {
        var model = tmp.File("m.safetensors");
        Assert.Equal(0, Train(data, model).ExitCode);
        return model;
    }

    /// <summary>'acr score' of <paramref name="data"/> (label column cls) with <paramref name="model"/>; <paramref name="extra"/> go before --out.</summary>
    private static CliHarness.Result Score(string model, string data, string scores, params string[] extra) =>
        CliHarness.Run(["score", "--model", model, "--data", data, "--label", "cls", .. extra, "--out", scores]);

    /// <summary>'acr evaluate' on <paramref name="data"/> (label column cls) with the fast settings; <paramref name="extra"/> go before them.</summary>
    private static CliHarness.Result Evaluate(string data, string outDir, params string[] extra) =>
        CliHarness.Run(["evaluate", "--data", data, "--label", "cls", "--out", outDir, .. extra, .. Fast]);

    private static void AssertUsageError(CliHarness.Result r, params string[] phrases)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}; stderr: {r.Error}; stdout: {r.Output}");
        foreach (var phrase in phrases)
        {
            Assert.Contains(phrase, r.Error, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>A usage error (see <see cref="AssertUsageError"/>) that left no <paramref name="output"/> file behind.</summary>
    private static void AssertUsageErrorWritesNothing(CliHarness.Result r, string output, params string[] phrases)
    {
        AssertUsageError(r, phrases);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Missing_data_file()
    {
        using var tmp = new TempDirectory();
        var model = tmp.File("m.safetensors");
        var r = Train(tmp.File("nope.csv"), model);
        AssertUsageErrorWritesNothing(r, model, "not found");
    }

    [Fact]
    public void Empty_file()
    {
        using var tmp = new TempDirectory();
        var r = Train(tmp.Write("e.csv", ""), tmp.File("m.safetensors"));
        AssertUsageErrorWritesNothing(r, tmp.File("m.safetensors"));
    }

    [Fact]
    public void Ragged_rows()
    {
        using var tmp = new TempDirectory();
        var r = Train(tmp.Write("r.csv", "cls,a,b\nx,1,2\ny,3\n"), tmp.File("m.safetensors"));
        AssertUsageError(r, "row");
    }

    [Fact]
    public void Non_numeric_value_names_the_column_and_the_fix()
    {
        using var tmp = new TempDirectory();
        var r = Train(tmp.Write("n.csv", "cls,a,b\nx,1,2\ny,abc,4\n"), tmp.File("m.safetensors"));
        AssertUsageError(r, "abc", "--drop");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-inf")]
    public void NaN_and_infinity_are_refused(string value)
    {
        using var tmp = new TempDirectory();
        var r = Train(tmp.Write("nan.csv", $"cls,a,b\nx,1,2\ny,{value},4\nz,1,1\nw,2,2\n"), tmp.File("m.safetensors"));
        Assert.Equal(2, r.ExitCode);
        Assert.False(File.Exists(tmp.File("m.safetensors")));
    }

    [Fact]
    public void Unknown_label_column_lists_the_columns()
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["train", "--data", tmp.Write("d.csv", SyntheticCsv.Make()), "--label", "klass", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r, "klass", "f0");
    }

    [Fact]
    public void Fewer_than_two_classes()
    {
        using var tmp = new TempDirectory();
        var r = Train(tmp.Write("d.csv", SyntheticCsv.Make(classes: 1)), tmp.File("m.safetensors"));
        AssertUsageErrorWritesNothing(r, tmp.File("m.safetensors"), "at least 2");
    }

    [Fact]
    public void Evaluate_needs_four_classes()
    {
        using var tmp = new TempDirectory();
        var r = Evaluate(tmp.Write("d.csv", SyntheticCsv.Make(classes: 3)), tmp.File("o"), "--seeds", "1");
        AssertUsageError(r, "2 training and 2 test");
    }

    [Fact]
    public void Batch_of_one_row_explains_batch_norm()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var model = TrainModel(tmp, data);
        var r = Score(model, data, tmp.File("s.csv"), "--batch-size", "1");
        AssertUsageErrorWritesNothing(r, tmp.File("s.csv"), "batch norm", "--batch-size 2");
    }

    [Fact]
    public void Feature_count_mismatch_names_both_counts()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(features: 5));
        var model = TrainModel(tmp, data);
        var other = tmp.Write("d6.csv", SyntheticCsv.Make(features: 6));
        var r = Score(model, other, tmp.File("s.csv"));
        AssertUsageErrorWritesNothing(r, tmp.File("s.csv"), "6 feature columns", "trained on 5");
    }

    [Fact]
    public void Truncated_and_corrupted_model_files_are_refused()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var model = TrainModel(tmp, data);
        var bytes = File.ReadAllBytes(model);

        var truncated = tmp.File("t.safetensors");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 10)]);
        AssertUsageError(Score(truncated, data, tmp.File("s.csv")), "truncated");

        var corrupted = tmp.File("c.safetensors");
        var copy = (byte[])bytes.Clone();
        copy[12] ^= 0x5A;
        File.WriteAllBytes(corrupted, copy);
        Assert.Equal(2, Score(corrupted, data, tmp.File("s.csv")).ExitCode);

        var notModel = tmp.Write("x.safetensors", "hello");
        Assert.Equal(2, Score(notModel, data, tmp.File("s.csv")).ExitCode);
        Assert.False(File.Exists(tmp.File("s.csv")));
    }

    [Fact]
    public void Unwritable_output_fails_before_training()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var r = Train(data, Path.Combine(tmp.Path, "no", "such", "dir", "m.safetensors"));
        AssertUsageError(r, "does not exist");
    }

    [Fact]
    public void Unknown_detector_and_backend_list_the_available_ones()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        AssertUsageError(Train(data, tmp.File("m.safetensors"), "--detector", "nope"), "deep-svdd");
        AssertUsageError(Train(data, tmp.File("m.safetensors"), "--backend", "nope"), "cpu");
        AssertUsageError(Train(data, tmp.File("m.safetensors"), "--option", "widht=3"), "hidden");
    }

    [Fact]
    public void Invalid_detector_option_value_names_the_option()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var r = Train(data, tmp.File("m.safetensors"), "--option", "hidden=0");
        AssertUsageErrorWritesNothing(r, tmp.File("m.safetensors"), "hidden", "positive integer");
    }

    [Fact]
    public void Duplicate_contamination_is_refused_before_training()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var r = Evaluate(data, tmp.File("o"), "--contamination", "0.1,0.10");
        AssertUsageError(r, "twice");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10001")]
    public void Test_draws_out_of_range_are_a_usage_error_and_write_nothing(string draws)
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4));
        var outDir = tmp.File("o");
        var r = Evaluate(data, outDir, "--test-draws", draws);
        AssertUsageError(r, "--test-draws", "between 1 and");
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any());
    }

    [Fact]
    public void Tasks_larger_than_the_data_can_fill_are_a_usage_error()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 2, rowsPerClass: 20));
        var r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", tmp.File("m.safetensors"), "--iterations", "2", "--task-size", "200", "--quiet"]);
        AssertUsageError(r, "anomalies", "--task-size");
    }

    [Fact]
    public void Score_matches_columns_by_name_and_refuses_foreign_ones()
    {
        using var tmp = new TempDirectory();
        var csv = SyntheticCsv.Make(features: 3);
        var data = tmp.Write("d.csv", csv);
        var model = TrainModel(tmp, data);

        // The same data with its feature columns in another order scores identically.
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split(',')).ToArray();
        var swapped = tmp.Write("swapped.csv", string.Join("\n", lines.Select(f => string.Join(",", f[0], f[3], f[1], f[2]))) + "\n");
        Assert.Equal(0, Score(model, data, tmp.File("a.csv")).ExitCode);
        Assert.Equal(0, Score(model, swapped, tmp.File("b.csv")).ExitCode);
        Assert.Equal(File.ReadAllBytes(tmp.File("a.csv")), File.ReadAllBytes(tmp.File("b.csv")));

        var renamed = tmp.Write("renamed.csv", csv.Replace("cls,f0,f1,f2", "cls,f0,f1,zz", StringComparison.Ordinal));
        AssertUsageErrorWritesNothing(Score(model, renamed, tmp.File("c.csv")), tmp.File("c.csv"), "missing f2", "zz");
    }

    [Fact]
    public void Unknown_arguments_are_usage_errors()
    {
        Assert.Equal(2, CliHarness.Run("train", "--no-such-flag").ExitCode);
    }
}
