using Acr.Host.Composition;
using Acr.Host.Models;
using Acr.Host.Training;

namespace Acr.Host.Recipes;

/// <summary>
/// Trains a model with a <see cref="TrainingRecipe"/>: the paper's recipe is <see cref="ModelTrainer.Train"/> as it is;
/// the validated recipe first runs <see cref="MetaValidation"/> on the training distributions' rows, then refits on all
/// of them with the chosen iterations and records the choice in the model's config (<see cref="ModelConfig.Selection"/>),
/// so <c>acr score</c> applies the chosen scorer.
/// </summary>
/// <param name="registry">Where the detectors come from.</param>
public sealed class RecipeTrainer(ComponentRegistry registry)
{
    private readonly ComponentRegistry _registry = registry ?? throw new ArgumentNullException(nameof(registry));

    /// <summary>Fold trainings the validated recipe runs before the refit for <paramref name="classes"/> training distributions.</summary>
    /// <param name="classes">Training distributions.</param>
    public static int FoldTrainings(int classes) => classes < 3 ? 0 : MetaValidation.Folds(classes, 0).Count;

    /// <summary>The training distributions <paramref name="request"/> selects from <paramref name="data"/>, in ordinal order.</summary>
    /// <param name="data">Rows with a label or group column.</param>
    /// <param name="request">The request (its training classes, or all).</param>
    public static IReadOnlyList<string> TrainingDistributions(TabularDataset data, TrainingRequest request)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        var distributions = data.Groups ?? data.Labels
            ?? throw new AcrUsageException("Training needs to know each row's distribution: pass --label COLUMN (or --group COLUMN).");
        return request.TrainClasses is { Count: > 0 } wanted
            ? wanted.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()
            : distributions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Trains a model on <paramref name="data"/> with <paramref name="recipe"/>.</summary>
    /// <param name="data">Rows with a label or group column naming each row's distribution.</param>
    /// <param name="request">Detector, options, training distributions, seed, schedule (its iterations are the most the validated recipe tries).</param>
    /// <param name="recipe">The recipe.</param>
    /// <param name="validation">Meta-validation settings.</param>
    /// <param name="backend">Where the model lives.</param>
    /// <param name="progress">Training progress (run: fold index, then the refit as the last run), or null.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    public TrainedModel Train(TabularDataset data, TrainingRequest request, TrainingRecipe recipe, MetaValidationOptions validation, ComputeBackend backend,
        Action<int, TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(validation);
        var trainer = new ModelTrainer(_registry);
        if (recipe == TrainingRecipe.Paper)
        {
            return trainer.Train(data, request, backend, p => progress?.Invoke(0, p), cancellationToken);
        }

        try
        {
            request.Training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException(e.Message, e);
        }

        var detector = _registry.GetDetector(request.Detector);
        var options = DetectorOptionResolver.Resolve(detector, request.DetectorOptions, data.ImageShape);
        var distributions = data.Groups ?? data.Labels
            ?? throw new AcrUsageException("Training needs to know each row's distribution: pass --label COLUMN (or --group COLUMN).");
        var classes = TrainingDistributions(data, request);
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var rows = classes.Select(_ => new List<int>()).ToArray();
        for (var r = 0; r < data.Rows; r++)
        {
            if (index.TryGetValue(distributions[r], out var c))
            {
                rows[c].Add(r);
            }
        }

        if (classes.Count < 2 || rows.Any(r => r.Count == 0))
        {
            // Let the paper's trainer give its own message for too few or unknown distributions.
            return trainer.Train(data, request, backend, p => progress?.Invoke(0, p), cancellationToken);
        }

        // Only the training distributions' rows reach the meta-validation.
        var features = RowGather.Gather(data.Features, data.Columns, rows.SelectMany(r => r).ToArray());
        var compact = new List<int[]>();
        var next = 0;
        foreach (var r in rows)
        {
            compact.Add(Enumerable.Range(next, r.Count).ToArray());
            next += r.Count;
        }

        var selection = MetaValidation.Select(detector, options, request.Seed, features, data.Columns, classes, compact, request.Training, validation, backend,
            progress, cancellationToken);
        var refit = request with { Training = request.Training with { Iterations = selection.Iterations } };
        var folds = FoldTrainings(classes.Count);
        var trained = trainer.Train(data, refit, backend, p => progress?.Invoke(folds, p), cancellationToken);
        return new TrainedModel(trained.Model, trained.Standardizer, trained.Config with { Selection = selection }, trained.Backend, trained.TrainingLosses);
    }
}
