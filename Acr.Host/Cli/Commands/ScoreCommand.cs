using Acr.Host.Data.Arrays;
using Acr.Host.Data.Fetch;
using Acr.Host.IO;
using Acr.Host.Models;
using Acr.Host.Scoring;
using Acr.Host.Scoring.Streaming;
using Acr.Nn;

namespace Acr.Host.Cli;

/// <summary>
/// 'acr score': zero-shot score a data file with a trained model, streamed (<see cref="StreamingScorer"/>): the file is
/// read, batched, scored and written window by window, in constant memory.
/// </summary>
internal sealed class ScoreCommand : CliCommand
{
    private readonly Option<string> _model = new("--model") { Description = "Model file (.safetensors).", Required = true };
    private readonly Option<string> _outFile = new("--out") { Description = $"Scores to write (row,batch,score[,label], in file order); the extension picks the format: {DataFiles.OutputFormats}.", Required = true };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Most rows per batch (each batch is centred by its own batch-norm statistics); within each group with --group.", DefaultValueFactory = _ => 256 };
    private readonly Option<string> _order = new("--order")
    {
        Description = "How rows form batches: shuffle (default: each window of --window-batches batches is shuffled with --seed, then cut into batches of near-equal size, so a batch samples its window whatever the file's order) or file (consecutive rows, the old behaviour; a sorted file then gives batches of one kind). Scores are written in file order either way.",
        DefaultValueFactory = _ => "shuffle",
    };

    private readonly Option<int> _windowBatches = new("--window-batches")
    {
        Description = $"Batches shuffled together (default {ScoringRequest.DefaultWindowBatches}: 65536 rows at --batch-size 256, 5 MB of 20 features; fewer for wide data, at most 64 MB of features). " +
            "Enough because a batch is then a uniform sample of its window: any ordered stretch shorter than the window (a sorted block of anomalies, a burst) is spread over all its batches, while memory stays a few windows whatever the file's size. " +
            "A file sorted over its whole length needs a window as long as the file, or a shuffle first.",
        DefaultValueFactory = _ => ScoringRequest.DefaultWindowBatches,
    };

    private readonly Option<string> _mode = new("--mode") { Description = "batch (ACR, zero-shot) or running (stationary baseline B1).", DefaultValueFactory = _ => "batch" };
    private readonly Option<ulong> _seed = CliOptions.Seed();
    private readonly Option<bool> _quiet = CliOptions.Quiet();
    private readonly DataOptionSet _data = new(labelRequired: false);
    private readonly BackendOptionSet _backend = new();

    public ScoreCommand(CliContext context)
        : base(context, "score",
            "Zero-shot score a data file (CSV, Parquet, Arrow) with a trained model: each batch is centred by its own batch-norm statistics. " +
            "Batches come from --group (one distribution per group, cut into batches of at most --batch-size rows) or, without it, from a seeded shuffle of each window of rows (--order file keeps file order). " +
            "The file is streamed: memory stays a few windows whatever its size.")
    {
        _data.Data.Description = "Data file: CSV (.csv, .csv.gz), Parquet (.parquet), Arrow IPC (.arrow, .feather; .arrows for the stream format), an IDX images file, or a fetched image set (fashion-mnist, mnist; :test for the test split).";
        _data.Group.Description = "Group column: each group is one distribution, scored in batches of at most --batch-size rows (shuffled within the group unless --order file); a group's rows must be consecutive in the file.";
        Add([_model, _outFile, _batchSize, _order, _windowBatches, _mode, _seed, _quiet, .. _data, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var path = parse.GetValue(_outFile)!;
        var modelPath = parse.GetValue(_model)!;
        var dataPath = parse.GetValue(_data.Data)!;
        var toStdout = path == "-";
        if (!toStdout)
        {
            OutputPaths.CheckFile(path, ("--model", modelPath), ("--data", dataPath));
        }

        var format = DataFiles.OutputFormat(path);
        var request = new ScoringRequest
        {
            BatchSize = parse.GetValue(_batchSize),
            Mode = parse.GetValue(_mode)!.ToUpperInvariant() switch
            {
                "BATCH" => BatchNormMode.Batch,
                "RUNNING" => BatchNormMode.Running,
                var other => throw new AcrUsageException($"--mode must be batch or running; got '{other.ToLowerInvariant()}'."),
            },
            Order = parse.GetValue(_order)!.ToUpperInvariant() switch
            {
                "SHUFFLE" => ScoringOrder.Shuffle,
                "FILE" => ScoringOrder.File,
                var other => throw new AcrUsageException($"--order must be shuffle or file; got '{other.ToLowerInvariant()}'."),
            },
            Seed = parse.GetValue(_seed),
            WindowBatches = parse.GetValue(_windowBatches),
        };
        BatchPlan.Validate(request); // refuses a bad --batch-size before reading

        var quiet = parse.GetValue(_quiet);
        using var b = _backend.Create(Context, parse);
        using var trained = TrainedModel.Load(modelPath, Context.Registry, b);
        using var source = OpenSource(parse, dataPath, trained);
        var smallRows = Math.Max(2, trained.Config.Training.TaskSize / BatchPlan.SmallBatchFactor);
        if (request.Mode == BatchNormMode.Batch && request.BatchSize < smallRows)
        {
            Context.Error.WriteLine(SmallBatchWarning($"--batch-size {request.BatchSize} is", trained.Config.Training.TaskSize, request.BatchSize));
        }

        var scorer = new StreamingScorer(trained);
        StreamingSummary summary = null!;
        if (toStdout)
        {
            using var stdout = Context.OpenStandardOutput();
            summary = scorer.Run(source, labels => ScoreSinks.Create(format, stdout, labels), request, Context.Cancellation);
        }
        else
        {
            AtomicFile.Write(path, stream => summary = scorer.Run(source, labels => ScoreSinks.Create(format, stream, labels), request, Context.Cancellation));
        }

        if (request.Mode == BatchNormMode.Batch && summary.SmallBatches > 0 && request.BatchSize >= smallRows)
        {
            var what = summary.SmallBatches == 1 ? "1 batch has" : $"{summary.SmallBatches} batches have";
            Context.Error.WriteLine(SmallBatchWarning($"{what} fewer than {summary.SmallBatchRows} rows (the smallest {summary.SmallestBatch}), which is", trained.Config.Training.TaskSize, summary.SmallestBatch));
        }

        if (!quiet)
        {
            var batches = summary.Batches;
            var mode = request.Mode == BatchNormMode.Batch ? $"batch mode, {trained.Scorer.Name}" : "running statistics";
            var order = parse.GetValue(_data.Group) is not null ? "by group" : request.Order == ScoringOrder.Shuffle ? $"shuffled, seed {request.Seed}" : "file order";
            var line = $"scored {summary.Rows} rows in {batches} batch{(batches == 1 ? "" : "es")} ({mode}, {order})";
            if (toStdout)
            {
                Context.Error.WriteLine(line);
            }
            else
            {
                Context.Console.WriteLine(line);
                Context.Console.WriteLine($"scores: {path}");
            }
        }

        return 0;
    }

    /// <summary>
    /// The warning for batches much smaller than the training tasks: the relative standard deviation of a variance
    /// estimated from n rows is about √(2/n), so at n = taskSize / <see cref="BatchPlan.SmallBatchFactor"/> the batch
    /// statistics are twice as noisy as the ones the network was trained with.
    /// </summary>
    private static string SmallBatchWarning(string what, int taskSize, int rows) =>
        string.Create(CultureInfo.InvariantCulture,
            $"warning: {what} under 1/{BatchPlan.SmallBatchFactor} of the model's training task size ({taskSize} rows): batch-norm statistics of n rows have a relative error of the variance of about √(2/n), {100 * Math.Sqrt(2.0 / rows):F0}% at {rows} rows against {100 * Math.Sqrt(2.0 / taskSize):F0}% in training, so scores are noisier. Use larger batches or groups (e.g. --batch-size {taskSize}).");

    /// <summary>
    /// The rows to score: a data file streamed row by row; or, for what the streaming readers do not cover (image sets, a
    /// data set by name, Latin-1 text, a model with one-hot encoded columns), the table read whole by the in-memory reader.
    /// </summary>
    private IRowSource OpenSource(ParseResult parse, string data, TrainedModel trained)
    {
        if (ImageFolderSet.IsImageFolder(data))
        {
            return new TableRowSource(ImageFolderSet.Load(data));
        }

        if (IdxImageSet.TryResolve(data, parse.GetValue(_data.Labels), DataCache.Resolve(null), out var images, out var labels))
        {
            return new TableRowSource(IdxImageSet.Load(images, labels));
        }

        var latin1 = CliOptions.ParseEncoding(parse.GetValue(_data.Encoding)!) != CsvTextEncoding.Utf8;
        if (!File.Exists(data) || latin1 || trained.Config.Categorical is { Count: > 0 })
        {
            return new TableRowSource(_data.Read(Context, parse, trained.Config.Categorical));
        }

        var options = new CsvReadOptions
        {
            LabelColumn = parse.GetValue(_data.Label),
            GroupColumn = parse.GetValue(_data.Group),
            Drop = CliOptions.SplitList(parse.GetValue(_data.Drop)),
            HasHeader = CliOptions.ParseHeader(parse.GetValue(_data.Header)!),
            Delimiter = CliOptions.ParseDelimiter(parse.GetValue(_data.Delimiter)!),
        };
        return ScoreSources.Open(data, options);
    }
}
