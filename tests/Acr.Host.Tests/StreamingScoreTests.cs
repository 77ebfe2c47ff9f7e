using Acr.Host.Cli;
using Acr.Host.Scoring.Streaming;
using Acr.Numerics;
using Spectre.Console;

namespace Acr.Host.Tests;

/// <summary>
/// Streaming <c>acr score</c>: the same scores, bit for bit, as the in-memory scorer on the same batches; file order out;
/// batches that sample the data whatever its order; the formats; bad input refused with exit 2 and nothing written.
/// </summary>
public class StreamingScoreTests
{
    private static string TrainModel(TempDirectory tmp, string data)
    {
        var model = tmp.File("m.safetensors");
        var r = CliHarness.Run("train", "--data", data, "--label", "cls", "--train-classes", "a,b", "--out", model, "--iterations", "10", "--tasks", "4", "--task-size", "64", "--quiet");
        Assert.True(r.ExitCode == 0, r.Error);
        return model;
    }

    private static (long Row, string Batch, float Score, string? Label)[] ReadScores(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("row,batch,score", lines[0], StringComparison.Ordinal);
        return [.. lines.Skip(1).Select(l => l.Split(',')).Select(f => (long.Parse(f[0], CultureInfo.InvariantCulture), f[1], float.Parse(f[2], CultureInfo.InvariantCulture), f.Length > 3 ? f[3] : null))];
    }

    private static float[] InMemory(string modelPath, string data, ScoringRequest request, string? group = null)
    {
        using var acr = AcrRuntime.Load();
        using var backend = acr.CreateBackend("cpu");
        using var model = acr.LoadModel(modelPath, backend);
        var table = CsvDatasetReader.Read(data, new CsvReadOptions { LabelColumn = "cls", GroupColumn = group });
        return model.Score(table, request).ScoresByRow();
    }

    [Theory]
    [InlineData("shuffle", "2", null)]
    [InlineData("shuffle", "256", null)]
    [InlineData("file", "1", null)]
    [InlineData("shuffle", "1", "g")]
    public void Streamed_scores_equal_the_in_memory_scorers_bit_for_bit(string order, string windowBatches, string? group)
    {
        using var tmp = new TempDirectory();
        var rng = new SeededRandom(5);
        var csv = SyntheticCsv.Make(classes: 4, rowsPerClass: 130, features: 5);
        var model = TrainModel(tmp, tmp.Write("train.csv", csv));
        if (group is not null)
        {
            // Three contiguous groups of different sizes: 200, 300 (split in two windows of one batch) and 20 rows.
            var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            csv = string.Join('\n', lines.Select((l, i) => i == 0 ? l + ",g" : l + "," + (i <= 200 ? "x" : i <= 500 ? "y" : "z"))) + "\n";
        }

        var data = tmp.Write("d.csv", csv);
        var seed = rng.NextInt(1000).ToString(CultureInfo.InvariantCulture);
        var outFile = tmp.File("s.csv");
        string[] extra = group is null ? [] : ["--group", group];
        var r = CliHarness.Run(["score", "--model", model, "--data", data, "--label", "cls", "--batch-size", "64", "--order", order, "--window-batches", windowBatches, "--seed", seed, "--out", outFile, .. extra]);
        Assert.True(r.ExitCode == 0, r.Error);
        var streamed = ReadScores(File.ReadAllText(outFile));

        var request = new ScoringRequest
        {
            BatchSize = 64,
            Order = order == "file" ? ScoringOrder.File : ScoringOrder.Shuffle,
            WindowBatches = int.Parse(windowBatches, CultureInfo.InvariantCulture),
            Seed = ulong.Parse(seed, CultureInfo.InvariantCulture),
        };
        var expected = InMemory(model, data, request, group);
        Assert.Equal(Enumerable.Range(0, 520).Select(i => (long)i), streamed.Select(s => s.Row)); // file order
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), streamed.Select(s => BitConverter.SingleToInt32Bits(s.Score)));
        Assert.All(streamed.GroupBy(s => s.Batch), b => Assert.InRange(b.Count(), 2, 64));
        if (group is not null)
        {
            Assert.Equal(["x#0", "x#1", "x#2", "x#3", "y#0", "y#1", "y#2", "y#3", "y#4", "z"], streamed.Select(s => s.Batch).Distinct().Order(StringComparer.Ordinal));
            Assert.All(streamed.Take(200), s => Assert.StartsWith("x#", s.Batch, StringComparison.Ordinal));
        }

        // The same seed gives the same bytes; another seed, other batches.
        var again = tmp.File("s2.csv");
        Assert.Equal(0, CliHarness.Run(["score", "--model", model, "--data", data, "--label", "cls", "--batch-size", "64", "--order", order, "--window-batches", windowBatches, "--seed", seed, "--out", again, .. extra]).ExitCode);
        Assert.Equal(File.ReadAllBytes(outFile), File.ReadAllBytes(again));
    }

    [Fact]
    public void A_file_sorted_with_the_anomalies_last_keeps_its_auroc_with_the_default_shuffle_and_loses_it_in_file_order()
    {
        using var tmp = new TempDirectory();
        var train = tmp.Write("train.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 150, features: 5));
        var model = TrainModel(tmp, train);

        // Test data: 600 rows of class c (normal), then 60 of class d (anomalies): sorted, anomalies last.
        var lines = SyntheticCsv.Make(classes: 4, rowsPerClass: 600, features: 5, seed: 9).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sorted = new[] { lines[0] }.Concat(lines.Where(l => l.StartsWith("c,", StringComparison.Ordinal))).Concat(lines.Where(l => l.StartsWith("d,", StringComparison.Ordinal)).Take(60));
        var data = tmp.Write("sorted.csv", string.Join('\n', sorted) + "\n");
        var mixed = sorted.Skip(1).ToArray();
        new SeededRandom(4).Shuffle(mixed.AsSpan());
        var premixed = tmp.Write("mixed.csv", lines[0] + "\n" + string.Join('\n', mixed) + "\n");

        double Auroc(params string[] extra) => AurocOf(data, extra);

        double AurocOf(string data, params string[] extra)
        {
            var outFile = tmp.File("s.csv");
            var r = CliHarness.Run(["score", "--model", model, "--data", data, "--label", "cls", "--batch-size", "64", "--out", outFile, .. extra]);
            Assert.True(r.ExitCode == 0, r.Error);
            var s = ReadScores(File.ReadAllText(outFile));
            return BinaryMetrics.Auroc(s.Select(x => (double)x.Score).ToArray(), s.Select(x => x.Label == "d").ToArray());
        }

        // The reference: the same rows in random order, batched in file order (what the sorted file should keep).
        var reference = AurocOf(premixed, "--order", "file");
        var shuffled = Auroc();
        var fileOrder = Auroc("--order", "file");
        Assert.True(reference > 0.75 && Math.Abs(shuffled - reference) < 0.05, $"shuffled AUROC {shuffled}, reference {reference}, file order {fileOrder}");
        Assert.True(fileOrder < shuffled - 0.2, $"file-order AUROC {fileOrder} vs shuffled {shuffled}");

        // --order file is the old consecutive batching: batch k holds rows 64k … 64k+63 (the last 20 rows their own batch).
        var outFile = tmp.File("f.csv");
        Assert.Equal(0, CliHarness.Run("score", "--model", model, "--data", data, "--label", "cls", "--batch-size", "64", "--order", "file", "--out", outFile).ExitCode);
        Assert.All(ReadScores(File.ReadAllText(outFile)), s => Assert.Equal((s.Row / 64).ToString(CultureInfo.InvariantCulture), s.Batch));
    }

    [Fact]
    public void Out_dash_writes_the_scores_to_standard_output_and_nothing_else()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 50, features: 5));
        var model = TrainModel(tmp, data);
        var file = tmp.File("s.csv");
        Assert.Equal(0, CliHarness.Run("score", "--model", model, "--data", data, "--label", "cls", "--out", file).ExitCode);

        var stdout = new MemoryStream();
        var console = new StringWriter();
        var error = new StringWriter();
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        var code = new AcrCli(ansi, error) { StandardOutput = () => stdout }.Run(["score", "--model", model, "--data", data, "--label", "cls", "--out", "-"]);
        Assert.True(code == 0, error.ToString());
        Assert.Equal(File.ReadAllBytes(file), stdout.ToArray());
        Assert.Equal(string.Empty, console.ToString());
        Assert.Contains("scored 200 rows", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(tmp.Path, "-")));
    }

    [Theory]
    [InlineData("s.xlsx", new[] { "--batch-size", "64" }, "unknown output format")]
    [InlineData("s.csv", new[] { "--group", "nope" }, "group column 'nope' not found")]
    [InlineData("s.csv", new[] { "--batch-size", "1" }, "batch of one row")]
    [InlineData("s.csv", new[] { "--batch-size", "0" }, "--batch-size must be between 1 and")]
    [InlineData("s.parquet", new[] { "--batch-size", "2000000000" }, "--batch-size must be between 1 and")]
    [InlineData("s.csv", new[] { "--order", "random" }, "--order must be shuffle or file")]
    [InlineData("s.csv", new[] { "--window-batches", "0" }, "--window-batches must be between 1 and")]
    public void Bad_requests_exit_2_with_a_message_and_write_nothing(string output, string[] extra, string message)
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 30, features: 5));
        var model = TrainModel(tmp, data);
        var before = Directory.GetFiles(tmp.Path).Order(StringComparer.Ordinal).ToArray();
        var r = CliHarness.Run(["score", "--model", model, "--data", data, "--label", "cls", "--out", tmp.File(output), .. extra]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFiles(tmp.Path).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void A_bad_value_deep_in_the_file_or_a_group_that_comes_back_fails_with_its_row_and_writes_nothing()
    {
        using var tmp = new TempDirectory();
        var good = SyntheticCsv.Make(classes: 4, rowsPerClass: 3000, features: 3);
        var data = tmp.Write("d.csv", good);
        var model = TrainModel(tmp, data);
        var lines = good.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines[11000] = "c,1.5,oops,2";
        var bad = tmp.Write("bad.csv", string.Join('\n', lines) + "\n");
        var r = CliHarness.Run("score", "--model", model, "--data", bad, "--label", "cls", "--out", tmp.File("s.csv"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("row 11000, column 'f1': 'oops' is not a number; use --drop f1", r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(tmp.File("s.csv")));

        // Groups a, b, a: the second run of a cannot be scored with the first.
        var grouped = tmp.Write("g.csv", "cls,f0,f1,f2,g\n" + string.Join('\n', Enumerable.Range(0, 30).Select(i => $"a,{i},{i % 3},{i % 5},{(i < 10 || i >= 20 ? "p" : "q")}")) + "\n");
        r = CliHarness.Run("score", "--model", model, "--data", grouped, "--label", "cls", "--group", "g", "--out", tmp.File("s.csv"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("group 'p' appears again at row 21", r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(tmp.File("s.csv")));
    }

    [Fact]
    public void Score_and_bench_take_quiet_and_seed()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 30, features: 5));
        var model = TrainModel(tmp, data);
        var r = CliHarness.Run("score", "--model", model, "--data", data, "--label", "cls", "--out", tmp.File("s.csv"), "--quiet", "--seed", "7");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(string.Empty, r.Output);
        var bench = CliHarness.Run("bench", "--iterations", "1", "--warmup", "0", "--score-batch", "100", "--seed", "3", "--quiet", "--out", tmp.File("b.json"));
        Assert.True(bench.ExitCode == 0, bench.Error);
        Assert.Equal(string.Empty, bench.Output);
        Assert.True(File.Exists(tmp.File("b.json")));
    }
}
