using System.Diagnostics;
using System.Globalization;
using Acr.Host;
using Acr.Host.Data;
using Acr.Host.Scoring;

namespace Acr.Bench;

/// <summary>
/// The in-memory reference for bench/score-streaming.sh: the whole CSV read into a table, scored by
/// <c>TrainedModel.Score</c> (the same batches as the streamed <c>acr score</c>), written as scores.csv in file order.
/// Usage: score-memory --plugins DIR --model M --data F.csv --label COL --out S.csv [--batch-size 256].
/// </summary>
internal static class ScoreInMemory
{
    public static int Run(string[] args)
    {
        string Arg(string name, string? fallback = null)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"score-memory needs {name}");
        }

        var total = Stopwatch.StartNew();
        using var acr = AcrRuntime.Load([Arg("--plugins")]);
        using var backend = acr.CreateBackend("cpu");
        using var model = acr.LoadModel(Arg("--model"), backend);
        var read = Stopwatch.StartNew();
        var data = CsvDatasetReader.Read(Arg("--data"), new CsvReadOptions { LabelColumn = Arg("--label") });
        read.Stop();
        var score = Stopwatch.StartNew();
        var result = model.Score(data, new ScoringRequest { BatchSize = int.Parse(Arg("--batch-size", "256"), CultureInfo.InvariantCulture) });
        score.Stop();
        var write = Stopwatch.StartNew();
        result.WriteCsv(Arg("--out"));
        write.Stop();
        total.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"in-memory: {data.Rows} rows, read {read.Elapsed.TotalSeconds:F2} s, score {score.Elapsed.TotalSeconds:F2} s ({data.Rows / score.Elapsed.TotalSeconds:F0} rows/s), write {write.Elapsed.TotalSeconds:F2} s, total {total.Elapsed.TotalSeconds:F2} s ({data.Rows / total.Elapsed.TotalSeconds:F0} rows/s file to file)"));
        return 0;
    }
}
