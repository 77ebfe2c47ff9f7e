using Acr.Host.Composition;
using Acr.Host.Recipes;
using Acr.Host.Training;

namespace Acr.Host.Cli;

/// <summary>'acr train': meta-train a detector on the distributions of a CSV file and save the model.</summary>
internal sealed class TrainCommand : CliCommand
{
    private readonly Option<string> _outFile = new("--out") { Description = "Model file to write (.safetensors).", Required = true };
    private readonly Option<string> _recipe = RecipeOption.Create();
    private readonly Option<ulong> _seed = CliOptions.Seed();
    private readonly Option<bool> _quiet = CliOptions.Quiet();
    private readonly Option<string[]> _trainClasses = CliOptions.TrainClasses(CliOptions.TrainDefaultClasses);
    private readonly Option<bool> _allowDivergence = new("--allow-divergence")
    {
        Description = $"Save the model even when training diverged (final loss over {LossDivergence.Factor:G}× the first); without it such a run writes nothing and exits 2.",
    };
    private readonly Option<int> _checkpointEvery = new("--checkpoint-every")
    {
        Description = "Save a checkpoint every N iterations (and on Ctrl+C), so a killed run can continue with --resume to the same model; 0 (default) saves none.",
        DefaultValueFactory = _ => 0,
    };
    private readonly Option<string> _checkpoint = new("--checkpoint") { Description = "The checkpoint file (default: the --out path with .ckpt appended); deleted once the model is saved." };
    private readonly Option<bool> _resume = new("--resume")
    {
        Description = "Continue the interrupted run whose checkpoint is at --checkpoint, with the same arguments and data: the model is bit-identical to an uninterrupted run's.",
    };
    private readonly DataOptionSet _data = new(labelRequired: false, categorical: true);
    private readonly TrainingOptionSet _training = new();
    private readonly BackendOptionSet _backend = new();
    private int _checkpoints;
    private TimeSpan _checkpointTime;

    public TrainCommand(CliContext context)
        : base(context, "train", "Meta-train a detector on the distributions (classes of --label, or groups of --group) of a CSV file and save the model.")
    {
        Add([_outFile, _recipe, _seed, _quiet, _trainClasses, _allowDivergence, _checkpointEvery, _checkpoint, _resume, .. _data, .. _training, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var path = parse.GetValue(_outFile)!;
        OutputPaths.CheckFile(path, ("--data", parse.GetValue(_data.Data)!));
        var checkpoint = ReadCheckpoint(parse, path);
        var classes = CliOptions.SplitList(parse.GetValue(_trainClasses));
        var request = new TrainingRequest
        {
            Detector = _training.DetectorName(parse),
            DetectorOptions = _training.UserDetectorOptions(parse),
            TrainClasses = classes.Length > 0 ? classes : null,
            Seed = parse.GetValue(_seed),
            Training = _training.Read(parse),
            Checkpoint = checkpoint,
        };
        var recipe = RecipeOption.Parse(parse.GetValue(_recipe));
        ValidateEarly(request);
        var table = _data.Read(Context, parse, trainingDistributions: all => classes.Length > 0 ? classes : all);
        using var b = _backend.Create(Context, parse);
        var runs = recipe == TrainingRecipe.Validated ? RecipeTrainer.FoldTrainings(RecipeTrainer.TrainingDistributions(table, request).Count) + 1 : 1;
        using var model = new TrainingDisplay(Context.Console, parse.GetValue(_quiet)).Run("train", runs, request.Training.Iterations,
            report => new RecipeTrainer(Context.Registry).Train(table, request, recipe, new MetaValidationOptions(), b, report, Context.Cancellation));
        var losses = model.TrainingLosses;
        if (LossDivergence.Describe(losses) is { } divergence)
        {
            if (!parse.GetValue(_allowDivergence))
            {
                Context.Error.WriteLine($"warning: {divergence}.");
                Context.Error.WriteLine($"error: the model was not written to '{path}'; lower --lr, or pass --allow-divergence to save it anyway.");
                return AcrCli.UsageError;
            }

            Context.Error.WriteLine($"warning: {divergence}; saved anyway (--allow-divergence).");
        }

        model.Save(path);
        if (checkpoint is not null)
        {
            var size = File.Exists(checkpoint.Path) ? new FileInfo(checkpoint.Path).Length : 0;
            TrainingCheckpoint.Delete(checkpoint.Path);
            if (_checkpoints > 0 && !parse.GetValue(_quiet))
            {
                Context.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"checkpoints: {_checkpoints} written to {checkpoint.Path} ({size / 1024.0:F0} KiB, {_checkpointTime.TotalMilliseconds / _checkpoints:F1} ms each); deleted now that the model is saved"));
            }
        }

        if (model.Config.Selection is { } s)
        {
            var best = s.Candidates.FirstOrDefault(c => c.Name == s.ScorerName);
            Context.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"meta-validation ({s.Folds.Count} folds, {s.ValidationTasks} validation tasks, {s.Seconds:F1} s) chose {s.ScorerName} ({(best is null ? "not validated" : $"validation AUROC {best.MeanAuroc:F3}")}) and {s.Iterations} iterations{(s.Note is null ? "" : $"; {s.Note}")}"));
        }

        Context.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained on {model.Config.TrainClasses.Count} distributions ({table.Rows} rows, {table.Columns} features); {(losses.Count > 0 ? $"final loss {losses[^1]:G5}" : "the detector has no trainable parameters")}"));
        Context.Console.WriteLine($"model: {path}");
        return 0;
    }

    /// <summary>
    /// The checkpoint settings, checked before any work: the interval is in range, the checkpoint file is neither an input
    /// nor the model, and a checkpoint left by an interrupted run is only used with --resume, never silently replaced.
    /// </summary>
    private TrainingCheckpointOptions? ReadCheckpoint(ParseResult parse, string modelPath)
    {
        var every = parse.GetValue(_checkpointEvery);
        var resume = parse.GetValue(_resume);
        var explicitPath = parse.GetValue(_checkpoint);
        if (every is < 0 or > MetaTrainingOptions.MaxIterations)
        {
            throw new AcrUsageException($"--checkpoint-every must be between 0 and {MetaTrainingOptions.MaxIterations} iterations; got {every}.");
        }

        if (every == 0 && !resume)
        {
            if (explicitPath is not null)
            {
                throw new AcrUsageException("--checkpoint is only used with --checkpoint-every N or --resume; add one of them, or drop --checkpoint.");
            }

            return null;
        }

        var path = explicitPath ?? TrainingCheckpointOptions.DefaultPath(modelPath);
        OutputPaths.CheckFile(path, ("--data", parse.GetValue(_data.Data)!), ("--out", modelPath));
        if (resume && !File.Exists(path))
        {
            throw new AcrUsageException($"--resume: there is no checkpoint at '{path}' (a run writes one with --checkpoint-every N; pass --checkpoint if it wrote it elsewhere); run without --resume to start afresh.");
        }

        if (!resume && File.Exists(path))
        {
            throw new AcrUsageException($"'{path}' holds the checkpoint of an interrupted run; pass --resume to continue it, or delete it to start afresh.");
        }

        var quiet = parse.GetValue(_quiet);
        return new TrainingCheckpointOptions
        {
            Path = path,
            Every = every,
            Resume = resume,
            Written = (_, took) =>
            {
                _checkpoints++;
                _checkpointTime += took;
            },
            Resumed = iteration =>
            {
                if (!quiet)
                {
                    Context.Error.WriteLine($"resuming from checkpoint '{path}' after iteration {iteration}");
                }
            },
        };
    }

    /// <summary>Settings and detector options are refused before the data is read.</summary>
    private void ValidateEarly(TrainingRequest request)
    {
        try
        {
            request.Training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException(e.UserMessage(), e);
        }

        DetectorOptionResolver.Resolve(Context.Registry.GetDetector(request.Detector), request.DetectorOptions);
    }
}
