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
    private readonly Option<string[]> _trainClasses = CliOptions.TrainClasses();
    private readonly Option<bool> _allowDivergence = new("--allow-divergence")
    {
        Description = $"Save the model even when training diverged (final loss over {LossDivergence.Factor:G}× the first); without it such a run writes nothing and exits 2.",
    };
    private readonly DataOptionSet _data = new(labelRequired: false);
    private readonly TrainingOptionSet _training = new();
    private readonly BackendOptionSet _backend = new();

    public TrainCommand(CliContext context)
        : base(context, "train", "Meta-train a detector on the distributions (classes of --label, or groups of --group) of a CSV file and save the model.")
    {
        Add([_outFile, _recipe, _seed, _quiet, _trainClasses, _allowDivergence, .. _data, .. _training, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var path = parse.GetValue(_outFile)!;
        OutputPaths.CheckFile(path, ("--data", parse.GetValue(_data.Data)!));
        var classes = CliOptions.SplitList(parse.GetValue(_trainClasses));
        var request = new TrainingRequest
        {
            Detector = _training.DetectorName(parse),
            DetectorOptions = _training.UserDetectorOptions(parse),
            TrainClasses = classes.Length > 0 ? classes : null,
            Seed = parse.GetValue(_seed),
            Training = _training.Read(parse),
        };
        var recipe = RecipeOption.Parse(parse.GetValue(_recipe));
        ValidateEarly(request);
        var table = _data.Read(parse);
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

    /// <summary>Settings and detector options are refused before the data is read.</summary>
    private void ValidateEarly(TrainingRequest request)
    {
        try
        {
            request.Training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException(e.Message, e);
        }

        DetectorOptionResolver.Resolve(Context.Registry.GetDetector(request.Detector), request.DetectorOptions);
    }
}
