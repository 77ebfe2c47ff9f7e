using Acr.Host.Models;
using Acr.Host.Scoring;
using Acr.Nn;

namespace Acr.Host.Cli;

/// <summary>'acr score': zero-shot score a CSV file with a trained model.</summary>
internal sealed class ScoreCommand : CliCommand
{
    private readonly Option<string> _model = new("--model") { Description = "Model file (.safetensors).", Required = true };
    private readonly Option<string> _outFile = new("--out") { Description = "Scores CSV to write.", Required = true };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Rows per batch (consecutive rows; a last batch of one row joins the one before). Ignored with --group.", DefaultValueFactory = _ => 256 };
    private readonly Option<string> _mode = new("--mode") { Description = "batch (ACR, zero-shot) or running (stationary baseline B1).", DefaultValueFactory = _ => "batch" };
    private readonly DataOptionSet _data = new(labelRequired: false);
    private readonly BackendOptionSet _backend = new();

    public ScoreCommand(CliContext context)
        : base(context, "score", "Zero-shot score a CSV file with a trained model: each batch is centred by its own batch-norm statistics.")
    {
        Add([_model, _outFile, _batchSize, _mode, .. _data, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var path = parse.GetValue(_outFile)!;
        OutputPaths.CheckFile(path, ("--model", parse.GetValue(_model)!), ("--data", parse.GetValue(_data.Data)!));
        var request = new ScoringRequest
        {
            BatchSize = parse.GetValue(_batchSize),
            Mode = parse.GetValue(_mode)!.ToUpperInvariant() switch
            {
                "BATCH" => BatchNormMode.Batch,
                "RUNNING" => BatchNormMode.Running,
                var other => throw new AcrUsageException($"--mode must be batch or running; got '{other.ToLowerInvariant()}'."),
            },
        };
        if (parse.GetValue(_data.Group) is null)
        {
            _ = BatchLayout.Consecutive(2, request.BatchSize, request.Mode == BatchNormMode.Batch); // refuses a bad --batch-size before reading
        }

        using var b = _backend.Create(Context, parse);
        using var trained = TrainedModel.Load(parse.GetValue(_model)!, Context.Registry, b);
        var table = _data.Read(Context, parse, trained.Config.Categorical);
        var result = trained.Score(table, request);
        result.WriteCsv(path);
        var batches = result.Layout.Count;
        Context.Console.WriteLine($"scored {table.Rows} rows in {batches} batch{(batches == 1 ? "" : "es")} ({(request.Mode == BatchNormMode.Batch ? $"batch mode, {trained.Scorer.Name}" : "running statistics")})");
        Context.Console.WriteLine($"scores: {path}");
        return 0;
    }
}
