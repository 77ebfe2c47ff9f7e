namespace Acr.Host.Tests;

/// <summary>
/// Every bad input gets a clear message naming the problem and the fix, exit code 2, and leaves no
/// output file behind.
/// </summary>
public class CliBadInputTests
{
    private static readonly string[] Fast = ["--iterations", "3", "--tasks", "4", "--task-size", "16", "--quiet"];

    private static void AssertUsageError(CliHarness.Result r, params string[] phrases)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}; stderr: {r.Error}; stdout: {r.Output}");
        foreach (var phrase in phrases)
        {
            Assert.Contains(phrase, r.Error, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Missing_data_file()
    {
        using var tmp = new TempDirectory();
        var model = tmp.File("m.safetensors");
        var r = CliHarness.Run(["train", "--data", tmp.File("nope.csv"), "--label", "cls", "--out", model, .. Fast]);
        AssertUsageError(r, "not found");
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void Empty_file()
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["train", "--data", tmp.Write("e.csv", ""), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r);
        Assert.False(File.Exists(tmp.File("m.safetensors")));
    }

    [Fact]
    public void Ragged_rows()
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["train", "--data", tmp.Write("r.csv", "cls,a,b\nx,1,2\ny,3\n"), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r, "row");
    }

    [Fact]
    public void Non_numeric_value_names_the_column_and_the_fix()
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["train", "--data", tmp.Write("n.csv", "cls,a,b\nx,1,2\ny,abc,4\n"), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r, "abc", "--drop");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-inf")]
    public void NaN_and_infinity_are_refused(string value)
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["train", "--data", tmp.Write("nan.csv", $"cls,a,b\nx,1,2\ny,{value},4\nz,1,1\nw,2,2\n"), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
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
        var r = CliHarness.Run(["train", "--data", tmp.Write("d.csv", SyntheticCsv.Make(classes: 1)), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r, "at least 2");
        Assert.False(File.Exists(tmp.File("m.safetensors")));
    }

    [Fact]
    public void Evaluate_needs_four_classes()
    {
        using var tmp = new TempDirectory();
        var r = CliHarness.Run(["evaluate", "--data", tmp.Write("d.csv", SyntheticCsv.Make(classes: 3)), "--label", "cls", "--out", tmp.File("o"), "--seeds", "1", .. Fast]);
        AssertUsageError(r, "2 training and 2 test");
    }

    [Fact]
    public void Batch_of_one_row_explains_batch_norm()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var model = tmp.File("m.safetensors");
        Assert.Equal(0, CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, .. Fast]).ExitCode);
        var r = CliHarness.Run(["score", "--model", model, "--data", data, "--label", "cls", "--batch-size", "1", "--out", tmp.File("s.csv")]);
        AssertUsageError(r, "batch norm", "--batch-size 2");
        Assert.False(File.Exists(tmp.File("s.csv")));
    }

    [Fact]
    public void Feature_count_mismatch_names_both_counts()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(features: 5));
        var model = tmp.File("m.safetensors");
        Assert.Equal(0, CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, .. Fast]).ExitCode);
        var other = tmp.Write("d6.csv", SyntheticCsv.Make(features: 6));
        var r = CliHarness.Run(["score", "--model", model, "--data", other, "--label", "cls", "--out", tmp.File("s.csv")]);
        AssertUsageError(r, "6 feature columns", "trained on 5");
        Assert.False(File.Exists(tmp.File("s.csv")));
    }

    [Fact]
    public void Truncated_and_corrupted_model_files_are_refused()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var model = tmp.File("m.safetensors");
        Assert.Equal(0, CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, .. Fast]).ExitCode);
        var bytes = File.ReadAllBytes(model);

        var truncated = tmp.File("t.safetensors");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 10)]);
        AssertUsageError(CliHarness.Run(["score", "--model", truncated, "--data", data, "--label", "cls", "--out", tmp.File("s.csv")]), "truncated");

        var corrupted = tmp.File("c.safetensors");
        var copy = (byte[])bytes.Clone();
        copy[12] ^= 0x5A;
        File.WriteAllBytes(corrupted, copy);
        Assert.Equal(2, CliHarness.Run(["score", "--model", corrupted, "--data", data, "--label", "cls", "--out", tmp.File("s.csv")]).ExitCode);

        var notModel = tmp.Write("x.safetensors", "hello");
        Assert.Equal(2, CliHarness.Run(["score", "--model", notModel, "--data", data, "--label", "cls", "--out", tmp.File("s.csv")]).ExitCode);
        Assert.False(File.Exists(tmp.File("s.csv")));
    }

    [Fact]
    public void Unwritable_output_fails_before_training()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", Path.Combine(tmp.Path, "no", "such", "dir", "m.safetensors"), .. Fast]);
        AssertUsageError(r, "does not exist");
    }

    [Fact]
    public void Unknown_detector_and_backend_list_the_available_ones()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        AssertUsageError(CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", tmp.File("m.safetensors"), "--detector", "nope", .. Fast]), "deep-svdd");
        AssertUsageError(CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", tmp.File("m.safetensors"), "--backend", "nope", .. Fast]), "cpu");
        AssertUsageError(CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", tmp.File("m.safetensors"), "--option", "widht=3", .. Fast]), "hidden");
    }

    [Fact]
    public void Invalid_detector_option_value_names_the_option()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", tmp.File("m.safetensors"), "--option", "hidden=0", .. Fast]);
        AssertUsageError(r, "hidden", "positive integer");
        Assert.False(File.Exists(tmp.File("m.safetensors")));
    }

    [Fact]
    public void Duplicate_contamination_is_refused_before_training()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run(["evaluate", "--data", data, "--label", "cls", "--out", tmp.File("o"), "--contamination", "0.1,0.10", .. Fast]);
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
        var r = CliHarness.Run(["evaluate", "--data", data, "--label", "cls", "--out", outDir, "--test-draws", draws, .. Fast]);
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
        var model = tmp.File("m.safetensors");
        Assert.Equal(0, CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, .. Fast]).ExitCode);

        // The same data with its feature columns in another order scores identically.
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split(',')).ToArray();
        var swapped = tmp.Write("swapped.csv", string.Join("\n", lines.Select(f => string.Join(",", f[0], f[3], f[1], f[2]))) + "\n");
        Assert.Equal(0, CliHarness.Run("score", "--model", model, "--data", data, "--label", "cls", "--out", tmp.File("a.csv")).ExitCode);
        Assert.Equal(0, CliHarness.Run("score", "--model", model, "--data", swapped, "--label", "cls", "--out", tmp.File("b.csv")).ExitCode);
        Assert.Equal(File.ReadAllBytes(tmp.File("a.csv")), File.ReadAllBytes(tmp.File("b.csv")));

        var renamed = tmp.Write("renamed.csv", csv.Replace("cls,f0,f1,f2", "cls,f0,f1,zz", StringComparison.Ordinal));
        AssertUsageError(CliHarness.Run("score", "--model", model, "--data", renamed, "--label", "cls", "--out", tmp.File("c.csv")), "missing f2", "zz");
        Assert.False(File.Exists(tmp.File("c.csv")));
    }

    [Fact]
    public void Unknown_arguments_are_usage_errors()
    {
        Assert.Equal(2, CliHarness.Run("train", "--no-such-flag").ExitCode);
    }
}
