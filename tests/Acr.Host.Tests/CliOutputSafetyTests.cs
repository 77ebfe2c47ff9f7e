using Acr.Host.Cli;

namespace Acr.Host.Tests;

/// <summary>
/// An --out can never destroy anything: it may not be an input (after resolving links), an existing --out must be a
/// regular file, a failed evaluate leaves no folder it created, and a re-used evaluate folder holds no stale plots.
/// </summary>
public class CliOutputSafetyTests
{
    private static readonly string[] Fast = ["--iterations", "3", "--tasks", "4", "--task-size", "16", "--quiet"];

    private static CliHarness.Result Train(string data, string model) =>
        CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, .. Fast]);

    private static CliHarness.Result Evaluate(string data, string outDir, params string[] extra) =>
        CliHarness.Run(["evaluate", "--data", data, "--label", "cls", "--seeds", "1", "--out", outDir, .. extra, .. Fast]);

    private static void AssertRefused(CliHarness.Result r, params string[] phrases)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}; stderr: {r.Error}; stdout: {r.Output}");
        foreach (var phrase in phrases)
        {
            Assert.Contains(phrase, r.Error, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Train_out_equal_to_data_is_refused_and_the_data_is_untouched()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var before = File.ReadAllBytes(data);
        AssertRefused(Train(data, data), "same file as --data", "choose another --out");
        Assert.Equal(before, File.ReadAllBytes(data));
    }

    [Fact]
    public void Out_reaching_the_data_through_a_linked_folder_is_refused()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var before = File.ReadAllBytes(data);
        var link = tmp.File("alias");
        Directory.CreateSymbolicLink(link, tmp.Path);
        AssertRefused(Train(data, Path.Combine(link, "d.csv")), "same file as --data");
        AssertRefused(Train(Path.Combine(link, ".", "d.csv"), data), "same file as --data");
        Assert.Equal(before, File.ReadAllBytes(data));
    }

    [Fact]
    public void Score_out_equal_to_model_or_data_is_refused()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var model = tmp.File("m.safetensors");
        Assert.Equal(0, Train(data, model).ExitCode);
        var modelBytes = File.ReadAllBytes(model);
        var dataBytes = File.ReadAllBytes(data);
        AssertRefused(CliHarness.Run("score", "--model", model, "--data", data, "--out", model), "same file as --model");
        AssertRefused(CliHarness.Run("score", "--model", model, "--data", data, "--out", Path.Combine(tmp.Path, "..", Path.GetFileName(tmp.Path), "d.csv")), "same file as --data");
        Assert.Equal(modelBytes, File.ReadAllBytes(model));
        Assert.Equal(dataBytes, File.ReadAllBytes(data));
    }

    [Fact]
    public void Out_that_is_a_symbolic_link_is_refused_and_the_link_and_its_target_stay()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var target = tmp.Write("precious.txt", "keep me");
        var link = tmp.File("m.safetensors");
        File.CreateSymbolicLink(link, target);
        AssertRefused(Train(data, link), "symbolic link", "precious.txt", "real path");
        Assert.Equal(target, new FileInfo(link).LinkTarget);
        Assert.Equal("keep me", File.ReadAllText(target));
    }

    [Fact]
    public void Out_that_is_a_device_is_refused()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the device check reads lstat(2) file types; Linux has /dev/null
        }

        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        AssertRefused(Train(data, "/dev/null"), "character device", "not a regular file");
        Assert.True(File.Exists("/dev/null"));
    }

    [Fact]
    public void Out_that_is_a_directory_is_refused()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        Directory.CreateDirectory(tmp.File("dir"));
        AssertRefused(Train(data, tmp.File("dir")), "existing directory");
    }

    [Fact]
    public void A_failed_evaluate_leaves_no_folder_behind()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 3));
        var outDir = Path.Combine(tmp.Path, "new", "eval");
        AssertRefused(Evaluate(data, outDir), "2 training and 2 test");
        Assert.False(Directory.Exists(tmp.File("new")));
    }

    [Fact]
    public void Folders_created_for_outputs_are_removed_again_deepest_first_only_where_empty()
    {
        using var tmp = new TempDirectory();
        var created = OutputPaths.CreateDirectory(Path.Combine(tmp.Path, "a", "b", "c"));
        Assert.Equal(3, created.Count);
        File.WriteAllText(Path.Combine(tmp.Path, "a", "keep.txt"), "x");
        OutputPaths.RemoveCreated(created);
        Assert.False(Directory.Exists(Path.Combine(tmp.Path, "a", "b")));
        Assert.True(File.Exists(Path.Combine(tmp.Path, "a", "keep.txt")));
    }

    [Fact]
    public void Evaluate_into_a_folder_holding_the_data_under_an_output_name_is_refused()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("scores.csv", SyntheticCsv.Make());
        var before = File.ReadAllBytes(data);
        AssertRefused(Evaluate(data, tmp.Path), "same file as --data");
        Assert.Equal(before, File.ReadAllBytes(data));
    }

    [Fact]
    public void Evaluate_refuses_a_folder_whose_model_file_is_a_link()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var outDir = tmp.File("eval");
        Directory.CreateDirectory(outDir);
        var target = tmp.Write("elsewhere.safetensors", "x");
        File.CreateSymbolicLink(Path.Combine(outDir, "model.safetensors"), target);
        AssertRefused(Evaluate(data, outDir), "symbolic link");
        Assert.Equal("x", File.ReadAllText(target));
    }

    [Fact]
    public void A_reused_evaluate_folder_loses_the_stale_plots_of_other_levels_and_keeps_other_files()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(rowsPerClass: 80));
        var outDir = tmp.File("eval");
        var first = Evaluate(data, outDir, "--contamination", "0.05,0.2");
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.True(File.Exists(Path.Combine(outDir, "roc-pi0.05.svg")));
        File.WriteAllText(Path.Combine(outDir, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(outDir, "roc-pi0.05.svg.bak"), "mine too");

        var second = Evaluate(data, outDir, "--contamination", "0.1");
        Assert.True(second.ExitCode == 0, second.Error);
        var names = Directory.GetFiles(outDir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "metrics.json", "model.safetensors", "notes.txt", "pr-pi0.1.svg", "roc-pi0.05.svg.bak", "roc-pi0.1.svg", "scores.csv" }, names);
    }
}
