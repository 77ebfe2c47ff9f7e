using System.Text.Json;

namespace Acr.Host.Tests;

/// <summary>train → score → evaluate through the command line, checking the files they write.</summary>
public class CliWorkflowTests
{
    [Fact]
    public void Train_then_score_writes_one_score_per_row_and_reloads_bit_exactly()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 50, features: 5));
        var model = tmp.File("m.safetensors");
        var train = CliHarness.Run("train", "--data", data, "--label", "cls", "--out", model, "--iterations", "5", "--tasks", "4", "--task-size", "32", "--quiet");
        Assert.True(train.ExitCode == 0, train.Error);

        var scores = tmp.File("s.csv");
        var score = CliHarness.Run("score", "--model", model, "--data", data, "--label", "cls", "--batch-size", "64", "--out", scores);
        Assert.True(score.ExitCode == 0, score.Error);
        var lines = File.ReadAllLines(scores);
        Assert.Equal("row,batch,score,label", lines[0]);
        Assert.Equal(201, lines.Length);
        // 200 rows, shuffled, in batches of at most 64: 4 batches of 50; rows in file order.
        Assert.Equal(["0", "1", "2", "3"], lines.Skip(1).Select(l => l.Split(',')[1]).Distinct().Order(StringComparer.Ordinal).ToArray());
        Assert.All(lines.Skip(1).GroupBy(l => l.Split(',')[1]), g => Assert.Equal(50, g.Count()));
        Assert.Equal(Enumerable.Range(0, 200).Select(r => r.ToString(CultureInfo.InvariantCulture)), lines.Skip(1).Select(l => l.Split(',')[0]));

        // Scoring twice gives the same bytes (the model reloads exactly).
        var again = tmp.File("s2.csv");
        Assert.Equal(0, CliHarness.Run("score", "--model", model, "--data", data, "--label", "cls", "--batch-size", "64", "--out", again).ExitCode);
        Assert.Equal(File.ReadAllBytes(scores), File.ReadAllBytes(again));
    }

    [Fact]
    public void Evaluate_writes_metrics_scores_and_model()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 80, features: 5));
        var outDir = tmp.File("eval");
        var r = CliHarness.Run("evaluate", "--protocol", "zero-shot-by-class", "--data", data, "--label", "cls", "--seeds", "2", "--out", outDir,
            "--iterations", "5", "--tasks", "4", "--task-size", "32", "--contamination", "0.1,0.2");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("ACR", r.Output);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
        var summary = metrics.RootElement.GetProperty("summary");
        Assert.Equal(10, summary.GetArrayLength()); // ACR, B1, B2, B3, Selected (the default validated recipe) × 2 π
        Assert.Equal("validated", metrics.RootElement.GetProperty("recipe").GetString());
        Assert.True(metrics.RootElement.GetProperty("seeds")[0].TryGetProperty("selection", out _));
        Assert.Equal(2, metrics.RootElement.GetProperty("seeds").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(outDir, "model.safetensors")));
        var scoreLines = File.ReadAllLines(Path.Combine(outDir, "scores.csv"));
        Assert.Equal("row,batch,score,label,anomaly,seed,contamination,b1,b2,b3,selected", scoreLines[0]);
        Assert.True(scoreLines.Length > 100);
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp"));
    }

    [Fact]
    public void Evaluate_with_several_test_draws_keeps_the_first_draw_and_averages_all()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 80, features: 5));
        string[] common = ["evaluate", "--data", data, "--label", "cls", "--seeds", "2", "--iterations", "5", "--tasks", "4", "--task-size", "32",
            "--contamination", "0.05,0.2", "--quiet"];
        var one = CliHarness.Run([.. common, "--out", tmp.File("one")]);
        Assert.True(one.ExitCode == 0, one.Error);
        var three = CliHarness.Run([.. common, "--out", tmp.File("three"), "--test-draws", "3"]);
        Assert.True(three.ExitCode == 0, three.Error);

        using var m1 = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp.File("one"), "metrics.json")));
        using var m3 = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp.File("three"), "metrics.json")));
        Assert.Equal(3, m3.RootElement.GetProperty("config").GetProperty("testDraws").GetInt32());
        var seeds1 = m1.RootElement.GetProperty("seeds");
        var seeds3 = m3.RootElement.GetProperty("seeds");
        var differs = false;
        for (var s = 0; s < 2; s++)
        {
            for (var c = 0; c < 2; c++)
            {
                foreach (var method in new[] { "ACR", "B1", "B2" })
                {
                    var tasks1 = seeds1[s].GetProperty("contaminations")[c].GetProperty(method).GetProperty("tasks").EnumerateArray().ToArray();
                    var result3 = seeds3[s].GetProperty("contaminations")[c].GetProperty(method);
                    var tasks3 = result3.GetProperty("tasks").EnumerateArray().ToArray();

                    // Two test classes × three draws; draw 0 is exactly the one-draw run's tasks.
                    Assert.Equal(2, tasks1.Length);
                    Assert.Equal(6, tasks3.Length);
                    Assert.Equal([0, 0, 1, 1, 2, 2], tasks3.Select(t => t.GetProperty("draw").GetInt32()).ToArray());
                    for (var t = 0; t < 2; t++)
                    {
                        Assert.Equal(tasks1[t].GetProperty("auroc").GetDouble(), tasks3[t].GetProperty("auroc").GetDouble());
                    }

                    // The seed's mean covers every draw.
                    var aurocs = tasks3.Select(t => t.GetProperty("auroc").GetDouble()).ToArray();
                    Assert.Equal(aurocs.Average(), result3.GetProperty("meanAuroc").GetDouble(), 12);
                    differs |= aurocs.Skip(2).Any(a => a != aurocs[0] && a != aurocs[1]);
                }
            }
        }

        Assert.True(differs, "later draws should pick other anomalies than the first");

        // scores.csv holds the first draw only: the same file as the one-draw run.
        Assert.Equal(File.ReadAllBytes(Path.Combine(tmp.File("one"), "scores.csv")), File.ReadAllBytes(Path.Combine(tmp.File("three"), "scores.csv")));
    }

    [Fact]
    public void Unknown_protocol_is_refused()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run("evaluate", "--protocol", "leave-one-out", "--data", data, "--label", "cls", "--out", tmp.File("o"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("zero-shot-by-class", r.Error);
    }
}
