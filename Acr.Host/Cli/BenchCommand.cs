using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Acr.Compute;
using Acr.Detectors;
using Acr.Host.Composition;
using Acr.Host.Data;
using Acr.Host.Evaluation;
using Acr.Host.IO;
using Acr.Host.Preprocessing;
using Acr.Host.Scoring;
using Acr.Host.Training;
using Acr.Nn;
using Acr.Numerics;
using Spectre.Console;

namespace Acr.Host.Cli;

/// <summary>
/// 'acr bench': the two end-to-end figures of the letter protocol — one meta-training iteration
/// (32 tasks × 256 rows, sampling excluded as in bench/torch_acr_iteration.py) and zero-shot scoring
/// throughput in 1000-row batches — plus managed allocation per steady-state iteration.
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
        var backend = CliOptions.Backend();
        var device = CliOptions.Device();
        var threads = CliOptions.Threads();
        cmd.Add(iterations);
        cmd.Add(warmup);
        cmd.Add(scoreBatch);
        cmd.Add(outFile);
        cmd.Add(backend);
        cmd.Add(device);
        cmd.Add(threads);
        cmd.SetAction(p =>
        {
            var timed = p.GetValue(iterations);
            var warm = p.GetValue(warmup);
            var batchRows = p.GetValue(scoreBatch);
            if (timed < 1 || warm < 0 || batchRows < 2)
            {
                throw new AcrUsageException("--iterations must be ≥ 1, --warmup ≥ 0 and --score-batch ≥ 2.");
            }

            if (p.GetValue(outFile) is { } o)
            {
                OutputPaths.CheckFile(o);
            }

            using var b = c.CreateBackend(p, backend, device, threads);
            var result = Run(c.Registry, b, timed, warm, batchRows);
            var inv = CultureInfo.InvariantCulture;
            var table = new Table().AddColumns("measure", "value");
            table.AddRow("device", Markup.Escape($"{b.Device.Id} {b.Device.Name}"));
            table.AddRow("iteration (32 tasks × 256 rows), median", string.Create(inv, $"{result.IterationMsMedian:F2} ms"));
            table.AddRow("iteration, min", string.Create(inv, $"{result.IterationMsMin:F2} ms"));
            table.AddRow("managed allocation per steady iteration", string.Create(inv, $"{result.AllocatedBytesPerIteration:F0} B"));
            table.AddRow($"scoring, one {batchRows}-row batch per call", string.Create(inv, $"{result.ScoreRowsPerSecond:N0} rows/s"));
            table.AddRow($"scoring, 16 × {batchRows}-row batches per call", string.Create(inv, $"{result.ScoreRowsPerSecondSegmented:N0} rows/s"));
            c.Console.Write(table);
            if (p.GetValue(outFile) is { } path)
            {
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, IndentedJson));
            }

            return 0;
        });
        return cmd;
    }

    internal sealed record BenchResult(string Device, double IterationMsMedian, double IterationMsMin, double AllocatedBytesPerIteration,
        double ScoreRowsPerSecond, double ScoreRowsPerSecondSegmented);

    internal static BenchResult Run(ComponentRegistry registry, ComputeBackend backend, int timed, int warm, int batchRows)
    {
        var data = EmbeddedDatasets.Letter();
        var split = ClassSplit.ByLabel(data.Labels!);
        var standardizer = Standardizer.Fit(data.Features, data.Columns, split.AllTrainRows());
        var x = standardizer.Transform(data.Features);
        var detector = registry.GetDetector("deep-svdd");
        using var model = detector.CreateModel(new DetectorModelSpec(data.Columns, DetectorOptionResolver.Resolve(detector, null), 0), backend);
        var options = new MetaTrainingOptions();
        var sampler = new TaskSampler(x, data.Columns, split.TrainRowsByClass, options.TaskSize, options.NormalRowsPerTask, SeededRandom.ForStream(0, 2));
        var times = new double[timed];
        long allocated;
        using (var session = new MetaTrainingSession(backend, model, sampler, options))
        {
            for (var i = 0; i < warm; i++)
            {
                session.SampleTasks();
                session.Step();
                session.LastLoss();
            }

            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < timed; i++)
            {
                session.SampleTasks();
                var t0 = Stopwatch.GetTimestamp();
                session.Step();
                session.LastLoss(); // waits for the backend
                times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }

            allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        Array.Sort(times);
        using var scorer = new ZeroShotScorer(model, backend);
        var rows = Math.Min(batchRows, data.Rows);
        using var one = BatchSegments.Whole(backend, rows);
        var batch = x.AsSpan(0, rows * data.Columns).ToArray();
        var scores = new float[rows];
        var single = Throughput(() => scorer.Score(batch, one, BatchNormMode.Batch, scores), rows);
        using var many = BatchSegments.Uniform(backend, 16, rows);
        var manyRows = new float[16 * batch.Length];
        for (var k = 0; k < 16; k++)
        {
            batch.CopyTo(manyRows, k * batch.Length);
        }

        var manyScores = new float[16 * rows];
        var segmented = Throughput(() => scorer.Score(manyRows, many, BatchNormMode.Batch, manyScores), 16 * rows);
        return new BenchResult(backend.Device.Name, times[timed / 2], times[0], (double)allocated / timed, single, segmented);
    }

    private static double Throughput(Action score, int rowsPerCall)
    {
        for (var i = 0; i < 10; i++)
        {
            score();
        }

        var calls = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < 1.5)
        {
            score();
            calls++;
        }

        return (double)calls * rowsPerCall / clock.Elapsed.TotalSeconds;
    }
}
