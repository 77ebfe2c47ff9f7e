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
        using var tmp = new TempFolder();
        var model = tmp.File("m.safetensors");
        var r = CliHarness.Run(["train", "--data", tmp.File("nope.csv"), "--label", "cls", "--out", model, .. Fast]);
        AssertUsageError(r, "not found");
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void Empty_file()
    {
        using var tmp = new TempFolder();
        var r = CliHarness.Run(["train", "--data", tmp.Write("e.csv", ""), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r);
        Assert.False(File.Exists(tmp.File("m.safetensors")));
    }

    [Fact]
    public void Ragged_rows()
    {
        using var tmp = new TempFolder();
        var r = CliHarness.Run(["train", "--data", tmp.Write("r.csv", "cls,a,b\nx,1,2\ny,3\n"), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r, "row");
    }

    [Fact]
    public void Non_numeric_value_names_the_column_and_the_fix()
    {
        using var tmp = new TempFolder();
        var r = CliHarness.Run(["train", "--data", tmp.Write("n.csv", "cls,a,b\nx,1,2\ny,abc,4\n"), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r, "abc", "--drop");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-inf")]
    public void NaN_and_infinity_are_refused(string value)
    {
        using var tmp = new TempFolder();
        var r = CliHarness.Run(["train", "--data", tmp.Write("nan.csv", $"cls,a,b\nx,1,2\ny,{value},4\nz,1,1\nw,2,2\n"), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
        Assert.Equal(2, r.ExitCode);
        Assert.False(File.Exists(tmp.File("m.safetensors")));
    }

    [Fact]
    public void Unknown_label_column_lists_the_columns()
    {
        using var tmp = new TempFolder();
        var r = CliHarness.Run(["train", "--data", tmp.Write("d.csv", SyntheticCsv.Make()), "--label", "klass", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r, "klass", "f0");
    }

    [Fact]
    public void Fewer_than_two_classes()
    {
        using var tmp = new TempFolder();
        var r = CliHarness.Run(["train", "--data", tmp.Write("d.csv", SyntheticCsv.Make(classes: 1)), "--label", "cls", "--out", tmp.File("m.safetensors"), .. Fast]);
        AssertUsageError(r, "at least 2");
        Assert.False(File.Exists(tmp.File("m.safetensors")));
    }

    [Fact]
    public void Evaluate_needs_four_classes()
    {
        using var tmp = new TempFolder();
        var r = CliHarness.Run(["evaluate", "--data", tmp.Write("d.csv", SyntheticCsv.Make(classes: 3)), "--label", "cls", "--out", tmp.File("o"), "--seeds", "1", .. Fast]);
        AssertUsageError(r, "2 training and 2 test");
    }

    [Fact]
    public void Batch_of_one_row_explains_batch_norm()
    {
        using var tmp = new TempFolder();
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
        using var tmp = new TempFolder();
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
        using var tmp = new TempFolder();
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
        using var tmp = new TempFolder();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", Path.Combine(tmp.Path, "no", "such", "dir", "m.safetensors"), .. Fast]);
        AssertUsageError(r, "does not exist");
    }

    [Fact]
    public void Unknown_detector_and_backend_list_the_available_ones()
    {
        using var tmp = new TempFolder();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        AssertUsageError(CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", tmp.File("m.safetensors"), "--detector", "nope", .. Fast]), "deep-svdd");
        AssertUsageError(CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", tmp.File("m.safetensors"), "--backend", "nope", .. Fast]), "cpu");
        AssertUsageError(CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", tmp.File("m.safetensors"), "--option", "widht=3", .. Fast]), "hidden");
    }

    [Fact]
    public void Unknown_arguments_are_usage_errors()
    {
        Assert.Equal(2, CliHarness.Run("train", "--no-such-flag").ExitCode);
    }
}
