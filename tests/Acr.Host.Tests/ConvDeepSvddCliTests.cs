namespace Acr.Host.Tests;

/// <summary>
/// Deep SVDD with the convolutional network through the CLI: rows of 16 features trained as 1×4×4 images, the model file keeps the
/// network and image shape (scoring rebuilds it from the file alone), and a wrong image shape is a usage error (exit 2) that names
/// the fix and writes nothing.
/// </summary>
public class ConvDeepSvddCliTests
{
    private static readonly string[] Conv = ["--option", "network=conv", "--option", "layers=2", "--option", "hidden=8", "--iterations", "3", "--tasks", "4", "--task-size", "16", "--quiet"];

    [Fact]
    public void Train_and_score_with_the_conv_network()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 40, features: 16));
        var model = tmp.File("m.safetensors");
        var train = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, "--option", "input-shape=1x4x4", .. Conv]);
        Assert.True(train.ExitCode == 0, train.Error);
        var scores = tmp.File("s.csv");
        var score = CliHarness.Run(["score", "--model", model, "--data", data, "--label", "cls", "--out", scores]);
        Assert.True(score.ExitCode == 0, score.Error);
        var lines = File.ReadAllLines(scores);
        Assert.Equal(161, lines.Length);
    }

    [Fact]
    public void A_wrong_image_shape_is_a_usage_error_that_writes_nothing()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 40, features: 16));
        var model = tmp.File("m.safetensors");
        var r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, "--option", "input-shape=1x5x5", .. Conv]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("25 values per row, but the data has 16", r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
        r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", model, .. Conv]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("input-shape=CxHxW", r.Error, StringComparison.Ordinal);
    }
}
