namespace Acr.Host.Tests;

/// <summary>The NTL plugin through the host: found by name, trained, saved to a model file and reloaded.</summary>
public class NtlDetectorTests
{
    private static readonly Dictionary<string, string> Small = new()
    {
        ["transformations"] = "4",
        ["hidden"] = "16",
        ["encoder-hidden"] = "16",
        ["encoder-layers"] = "2",
        ["embedding"] = "8",
    };

    [Fact]
    public void A_saved_ntl_model_reloads_and_scores_identically()
    {
        using var tmp = new TempDirectory();
        var csv = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 60, features: 6));
        var path = tmp.File("ntl.safetensors");
        using var acr = AcrRuntime.Load();
        using var backend = acr.CreateBackend("cpu");
        var data = CsvDatasetReader.Read(csv, new CsvReadOptions { LabelColumn = "cls" });
        var request = new TrainingRequest
        {
            Detector = "ntl",
            DetectorOptions = Small,
            TrainClasses = ["a", "b"],
            Training = new MetaTrainingOptions { Iterations = 8, TaskSize = 32, TasksPerIteration = 3 },
        };
        using var model = acr.Train(data, request, backend);
        model.Save(path);
        var scores = model.Score(data, new ScoringRequest { BatchSize = 50 });
        Assert.Equal(data.Rows, scores.Scores.Count);
        Assert.All(scores.Scores, s => Assert.True(float.IsFinite(s) && s > 0, $"score {s}"));
        Assert.True(model.TrainingLosses[^1] < model.TrainingLosses[0], $"loss {model.TrainingLosses[0]} → {model.TrainingLosses[^1]}");

        using var reloaded = acr.LoadModel(path, backend);
        Assert.Equal(scores.Scores, reloaded.Score(data, new ScoringRequest { BatchSize = 50 }).Scores);

        // The command line finds the detector by name and scores the file the same way.
        var file = tmp.File("s.csv");
        var r = CliHarness.Run("score", "--model", path, "--data", csv, "--label", "cls", "--batch-size", "50", "--out", file);
        Assert.True(r.ExitCode == 0, r.Error);
        var fromCli = File.ReadAllLines(file).Skip(1).Select(l => float.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.ScoresByRow(), fromCli);
    }

    [Theory]
    [InlineData("transformations", "1", "at least 2")]
    [InlineData("temperature", "0", "temperature")]
    [InlineData("hidden", "x", "hidden")]
    public void Invalid_options_are_refused_with_the_option_named(string option, string value, string expected)
    {
        using var tmp = new TempDirectory();
        var csv = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 20, features: 3));
        using var acr = AcrRuntime.Load();
        using var backend = acr.CreateBackend("cpu");
        var data = CsvDatasetReader.Read(csv, new CsvReadOptions { LabelColumn = "cls" });
        var options = new Dictionary<string, string>(Small) { [option] = value };
        var request = new TrainingRequest { Detector = "ntl", DetectorOptions = options, TrainClasses = ["a", "b"], Training = new MetaTrainingOptions { Iterations = 1, TaskSize = 8, TasksPerIteration = 1 } };
        var e = Assert.ThrowsAny<Exception>(() => acr.Train(data, request, backend).Dispose());
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_convolutional_ntl_trains_on_images_scores_each_task_as_alone_and_reloads_identically()
    {
        using var tmp = new TempDirectory();
        var csv = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 40, features: 16));
        using var acr = AcrRuntime.Load();
        using var backend = acr.CreateBackend("cpu");
        var data = CsvDatasetReader.Read(csv, new CsvReadOptions { LabelColumn = "cls" });
        var request = new TrainingRequest
        {
            Detector = "ntl",
            DetectorOptions = new Dictionary<string, string>
            {
                ["network"] = "conv", ["input-shape"] = "1x4x4", ["transformations"] = "3", ["transform-channels"] = "4",
                ["encoder-hidden"] = "8", ["encoder-layers"] = "2", ["embedding"] = "8",
            },
            TrainClasses = ["a", "b"],
            Training = new MetaTrainingOptions { Iterations = 10, TaskSize = 16, TasksPerIteration = 3 },
        };
        using var model = acr.Train(data, request, backend);
        Assert.True(model.TrainingLosses[^1] < model.TrainingLosses[0], $"loss {model.TrainingLosses[0]} → {model.TrainingLosses[^1]}");

        // Two tasks in one pass, each its own batch-norm segment (its views included), score as each alone.
        var x = model.Standardizer.Transform(data.Features);
        using var scorer = new Acr.Host.Scoring.ZeroShotScorer(model.Model, backend);
        var first = x.AsSpan(0, 20 * 16).ToArray();
        var second = x.AsSpan(100 * 16, 30 * 16).ToArray();
        var together = scorer.Score([.. first, .. second], [20, 30], Acr.Nn.BatchNormMode.Batch);
        var alone = scorer.Score(first, [20], Acr.Nn.BatchNormMode.Batch).Concat(scorer.Score(second, [30], Acr.Nn.BatchNormMode.Batch)).ToArray();
        Assert.Equal(alone, together);

        var path = tmp.File("ntl-conv.safetensors");
        model.Save(path);
        using var reloaded = acr.LoadModel(path, backend);
        Assert.Equal(model.Score(data, new ScoringRequest { BatchSize = 40 }).Scores, reloaded.Score(data, new ScoringRequest { BatchSize = 40 }).Scores);
    }
}
