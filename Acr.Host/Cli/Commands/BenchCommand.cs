using System.CommandLine;
using System.Text.Json;
using Acr.Host.Benchmarks;
using Acr.Host.IO;
using Spectre.Console;
namespace Acr.Host.Cli;

/// <summary>
/// 'acr bench': the figures of <see cref="LetterWorkload"/> (the workload the BenchmarkDotNet suite measures too) —
/// one meta-training iteration, managed allocation per steady iteration, and zero-shot scoring throughput.
/// </summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    public static Command Create(CliContext c)
    {
        var cmd = new Command("bench", "Measure one ACR meta-training iteration and zero-shot scoring throughput on the embedded letter data.");
        var iterations = new Option<int>("--iterations") { Description = "Timed iterations.", DefaultValueFactory = _ => 60 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up iterations.", DefaultValueFactory = _ => 10 };
        var scoreBatch = new Option<int>("--score-batch") { Description = "Rows per scoring batch.", DefaultValueFactory = _ => 1000 };
        var outFile = new Option<string?>("--out") { Description = "Also write the figures as JSON." };
        cmd.Add(iterations);
        cmd.Add(warmup);
        cmd.Add(scoreBatch);
        cmd.Add(outFile);
        var backend = new BackendOptionSet(cmd);
        cmd.SetAction(p =>
        {
            var timed = p.GetValue(iterations);
            var warm = p.GetValue(warmup);
            var batchRows = p.GetValue(scoreBatch);
            if (timed is < 1 or > 1_000_000 || warm is < 0 or > 1_000_000 || batchRows is < 2 or > 20_000)
            {
                throw new AcrUsageException("--iterations must be in [1, 1000000], --warmup in [0, 1000000] and --score-batch in [2, 20000] (the letter data has 20000 rows).");
            }

            if (p.GetValue(outFile) is { } o)
            {
                OutputPaths.CheckFile(o);
            }

            using var b = backend.Create(c, p);
            using var workload = new LetterWorkload(c.Registry.GetDetector("deep-svdd"), b, batchRows);
            var result = workload.Measure(timed, warm);
            var inv = CultureInfo.InvariantCulture;
            var table = new Table().AddColumns("measure", "value");
            table.AddRow("device", Markup.Escape($"{b.Device.Id} {b.Device.Name}"));
            table.AddRow("iteration (32 tasks × 256 rows), median", string.Create(inv, $"{result.IterationMsMedian:F2} ms"));
            table.AddRow("iteration, min", string.Create(inv, $"{result.IterationMsMin:F2} ms"));
            table.AddRow("managed allocation per steady iteration", string.Create(inv, $"{result.AllocatedBytesPerIteration:F0} B"));
            table.AddRow($"scoring, one {workload.ScoreBatchRows}-row batch per call", string.Create(inv, $"{result.ScoreRowsPerSecond:N0} rows/s"));
            table.AddRow($"scoring, {LetterWorkload.SegmentedBatches} × {workload.ScoreBatchRows}-row batches per call", string.Create(inv, $"{result.ScoreRowsPerSecondSegmented:N0} rows/s"));
            c.Console.Write(table);
            if (p.GetValue(outFile) is { } path)
            {
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, IndentedJson));
            }

            return 0;
        });
        return cmd;
    }
}
