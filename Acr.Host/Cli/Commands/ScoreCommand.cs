using System.CommandLine;
using Acr.Host.Models;
using Acr.Host.Scoring;
using Acr.Nn;
using Spectre.Console;

namespace Acr.Host.Cli;

/// <summary>'acr score': zero-shot score a CSV file with a trained model.</summary>
internal static class ScoreCommand
{
    public static Command Create(CliContext c)
    {
        var cmd = new Command("score", "Zero-shot score a CSV file with a trained model: each batch is centred by its own batch-norm statistics.");
        var model = new Option<string>("--model") { Description = "Model file (.safetensors).", Required = true };
        var outFile = new Option<string>("--out") { Description = "Scores CSV to write.", Required = true };
        var batchSize = new Option<int>("--batch-size") { Description = "Rows per batch (consecutive rows; a last batch of one row joins the one before). Ignored with --group.", DefaultValueFactory = _ => 256 };
        var mode = new Option<string>("--mode") { Description = "batch (ACR, zero-shot) or running (stationary baseline B1).", DefaultValueFactory = _ => "batch" };
        cmd.Add(model);
        cmd.Add(outFile);
        cmd.Add(batchSize);
        cmd.Add(mode);
        var data = new DataOptionSet(cmd, labelRequired: false);
        var backend = new BackendOptionSet(cmd);
        cmd.SetAction(p =>
        {
            var path = p.GetValue(outFile)!;
            OutputPaths.CheckFile(path);
            var request = new ScoringRequest
            {
                BatchSize = p.GetValue(batchSize),
                Mode = p.GetValue(mode)!.ToUpperInvariant() switch
                {
                    "BATCH" => BatchNormMode.Batch,
                    "RUNNING" => BatchNormMode.Running,
                    var other => throw new AcrUsageException($"--mode must be batch or running; got '{other.ToLowerInvariant()}'."),
                },
            };
            if (p.GetValue(data.Group) is null)
            {
                _ = BatchLayout.Consecutive(2, request.BatchSize, request.Mode == BatchNormMode.Batch); // refuses a bad --batch-size before reading
            }

            var table = data.Read(p);
            using var b = backend.Create(c, p);
            using var trained = TrainedModel.Load(p.GetValue(model)!, c.Registry, b);
            var result = trained.Score(table, request);
            result.WriteCsv(path);
            var batches = result.Layout.Count;
            c.Console.WriteLine($"scored {table.Rows} rows in {batches} batch{(batches == 1 ? "" : "es")} ({(request.Mode == BatchNormMode.Batch ? "batch mode" : "running statistics")})");
            c.Console.WriteLine($"scores: {path}");
            return 0;
        });
        return cmd;
    }
}
