namespace Acr.Host.Tests;

/// <summary>The README's library example runs as written, and gives what the command line gives.</summary>
public class LibraryApiTests
{
    [Fact]
    public void The_readme_example_trains_saves_and_scores_in_a_few_lines()
    {
        using var tmp = new TempDirectory();
        var csv = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 100, features: 6));
        var path = tmp.File("model.safetensors");

        // As in the README (fewer iterations, the synthetic data's classes):
        using var acr = AcrRuntime.Load();
        using var backend = acr.CreateBackend("cpu");
        var data = CsvDatasetReader.Read(csv, new CsvReadOptions { LabelColumn = "cls" });
        using var model = acr.Train(data, new TrainingRequest { TrainClasses = ["a", "b"], Training = new MetaTrainingOptions { Iterations = 20, TaskSize = 64, TasksPerIteration = 4 } }, backend);
        model.Save(path);
        var scores = model.Score(data, new ScoringRequest { BatchSize = 100 });

        Assert.Equal(20, model.TrainingLosses.Count);
        Assert.Equal(data.Rows, scores.Scores.Count);
        Assert.All(scores.Scores, s => Assert.True(float.IsFinite(s)));

        // The command line, on the same model and data, writes the same scores.
        var file = tmp.File("s.csv");
        var r = CliHarness.Run("score", "--model", path, "--data", csv, "--label", "cls", "--batch-size", "100", "--out", file);
        Assert.True(r.ExitCode == 0, r.Error);
        var fromCli = File.ReadAllLines(file).Skip(1).Select(l => float.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.ScoresByRow(), fromCli);

        // And a reloaded model scores bit for bit like the one in memory.
        using var reloaded = acr.LoadModel(path, backend);
        Assert.Equal(scores.Scores, reloaded.Score(data, new ScoringRequest { BatchSize = 100 }).Scores);
    }
}
