using System.Text.Json;
using Acr.Host.Benchmarks;
using Acr.Host.IO;

namespace Acr.Host.Cli;

/// <summary>
/// 'acr bench': the figures of <see cref="LetterWorkload"/> (the workload the BenchmarkDotNet suite measures too) —
/// one meta-training iteration, managed allocation per steady iteration, and zero-shot scoring throughput; with
/// <c>--kernels</c>, the single-op timings of <see cref="KernelWorkload"/> instead.
/// </summary>
internal sealed class BenchCommand : CliCommand
{
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    private readonly Option<int> _iterations = new("--iterations") { Description = "Timed iterations.", DefaultValueFactory = _ => 60 };
    private readonly Option<int> _warmup = new("--warmup") { Description = "Untimed warm-up iterations.", DefaultValueFactory = _ => 10 };
    private readonly Option<int> _scoreBatch = new("--score-batch") { Description = "Rows per scoring batch.", DefaultValueFactory = _ => 1000 };
    private readonly Option<bool> _kernels = new("--kernels") { Description = "Time single ops at the training shapes (and a square SGEMM) instead of the letter workload." };
    private readonly Option<int> _gemmSize = new("--gemm-size") { Description = "Side of the square SGEMM timed with --kernels (0: none).", DefaultValueFactory = _ => 4096 };
    private readonly Option<string?> _outFile = new("--out") { Description = "Also write the figures as JSON." };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed of the letter workload's model and task sampling (the kernels' inputs are fixed).", DefaultValueFactory = _ => 0UL };
    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "No table on the console when --out writes the figures (for scripts); without --out the table is the result and is printed." };
    private readonly BackendOptionSet _backend = new();

    public BenchCommand(CliContext context)
        : base(context, "bench", "Measure one ACR meta-training iteration and zero-shot scoring throughput on the embedded letter data.")
    {
        Add([_iterations, _warmup, _scoreBatch, _kernels, _gemmSize, _outFile, _seed, _quiet, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var timed = parse.GetValue(_iterations);
        var warm = parse.GetValue(_warmup);
        var batchRows = parse.GetValue(_scoreBatch);
        if (timed is < 1 or > 1_000_000 || warm is < 0 or > 1_000_000 || batchRows is < 2 or > 20_000)
        {
            throw new AcrUsageException("--iterations must be in [1, 1000000], --warmup in [0, 1000000] and --score-batch in [2, 20000] (the letter data has 20000 rows).");
        }

        var outFile = parse.GetValue(_outFile);
        if (outFile is not null)
        {
            OutputPaths.CheckFile(outFile);
        }

        var gemmSize = parse.GetValue(_gemmSize);
        if (gemmSize is < 0 or > 16384)
        {
            throw new AcrUsageException("--gemm-size must be in [0, 16384].");
        }

        using var b = _backend.Create(Context, parse);
        if (parse.GetValue(_kernels))
        {
            return RunKernels(b, gemmSize, outFile, parse.GetValue(_quiet));
        }

        using var workload = new LetterWorkload(Context.Registry.GetDetector("deep-svdd"), b, batchRows, parse.GetValue(_seed));
        var result = workload.Measure(timed, warm);
        var inv = CultureInfo.InvariantCulture;
        var table = new Table().AddColumns("measure", "value");
        table.AddRow("device", Markup.Escape($"{b.Device.Id} {b.Device.Name}"));
        table.AddRow("iteration (32 tasks × 256 rows), median", string.Create(inv, $"{result.IterationMsMedian:F2} ms"));
        table.AddRow("iteration, min", string.Create(inv, $"{result.IterationMsMin:F2} ms"));
        table.AddRow("managed allocation per steady iteration", string.Create(inv, $"{result.AllocatedBytesPerIteration:F0} B"));
        table.AddRow($"scoring, one {workload.ScoreBatchRows}-row batch per call", string.Create(inv, $"{result.ScoreRowsPerSecond:N0} rows/s"));
        table.AddRow($"scoring, {LetterWorkload.SegmentedBatches} × {workload.ScoreBatchRows}-row batches per call", string.Create(inv, $"{result.ScoreRowsPerSecondSegmented:N0} rows/s"));
        if (outFile is null || !parse.GetValue(_quiet))
        {
            Context.Console.Write(table);
        }

        if (outFile is not null)
        {
            AtomicFile.WriteAllText(outFile, JsonSerializer.Serialize(result, IndentedJson));
        }

        return 0;
    }

    private int RunKernels(ComputeBackend backend, int gemmSize, string? outFile, bool quiet)
    {
        var results = new List<KernelTiming>();
        using (var workload = new KernelWorkload(backend, gemmSize))
        {
            results.AddRange(workload.Measure());
        }

        using (var scoring = new WideScoringWorkload(Context.Registry.GetDetector("deep-svdd"), backend))
        {
            var rowsPerSecond = scoring.Measure();
            var perCall = WideScoringWorkload.Batches * WideScoringWorkload.BatchRows / rowsPerSecond * 1e6;
            results.Add(new KernelTiming("zero-shot scoring from host memory", $"{WideScoringWorkload.Batches} x {WideScoringWorkload.BatchRows}x{WideScoringWorkload.Features}",
                perCall, null, WideScoringWorkload.Batches * WideScoringWorkload.BatchRows * WideScoringWorkload.Features * 4.0 / perCall / 1e3) { RowsPerSecond = rowsPerSecond });
        }

        var inv = CultureInfo.InvariantCulture;
        var table = new Table().AddColumns("op", "shape", "median", "rate");
        foreach (var r in results)
        {
            Context.Cancellation.ThrowIfCancellationRequested();
            var rate = r.RowsPerSecond is { } rows ? string.Create(inv, $"{rows:N0} rows/s")
                : r.GigaflopsPerSecond is { } gf ? string.Create(inv, $"{gf:F1} GFLOP/s") : string.Create(inv, $"{r.GigabytesPerSecond:F1} GB/s");
            table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.Shape), string.Create(inv, $"{r.MicrosecondsMedian:F1} µs"), rate);
        }

        if (outFile is null || !quiet)
        {
            Context.Console.WriteLine(Markup.Escape($"{backend.Device.Id} {backend.Device.Name}"));
            Context.Console.Write(table);
        }

        if (outFile is not null)
        {
            AtomicFile.WriteAllText(outFile, JsonSerializer.Serialize(results, IndentedJson));
        }

        return 0;
    }
}
