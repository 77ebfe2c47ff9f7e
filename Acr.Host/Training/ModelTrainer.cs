using Acr.Host.Composition;
using Acr.Host.Models;
using Acr.Host.Preprocessing;
using Acr.Numerics;

namespace Acr.Host.Training;

/// <summary>
/// Meta-trains a detector on the distributions of a data set (its group column, else its label column): fits the
/// preprocessing on the training distributions' rows only, builds the model from the seed, trains it with
/// <see cref="MetaTrainer"/> and returns it with its config, ready to save or score. Used by <c>acr train</c>, the
/// evaluation protocol and library callers alike.
/// </summary>
/// <param name="registry">Where the detectors come from.</param>
public sealed class ModelTrainer(ComponentRegistry registry)
{
    private readonly ComponentRegistry _registry = registry ?? throw new ArgumentNullException(nameof(registry));

    /// <summary>Trains a model on <paramref name="data"/>.</summary>
    /// <param name="data">Rows with a label or group column naming each row's distribution.</param>
    /// <param name="request">Detector, options, training distributions, seed, schedule.</param>
    /// <param name="backend">Where the model lives.</param>
    /// <param name="progress">Called after every iteration, or null.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <exception cref="AcrUsageException">The data or the request cannot train a model; the message says which setting to change.</exception>
    public TrainedModel Train(TabularDataset data, TrainingRequest request, ComputeBackend backend, Action<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(backend);
        Validate(request.Training);
        var detector = _registry.GetDetector(request.Detector);
        var options = DetectorOptionResolver.Resolve(detector, request.DetectorOptions, data.ImageShape);
        var distributions = data.Groups ?? data.Labels
            ?? throw new AcrUsageException("Training needs to know each row's distribution: pass --label COLUMN (or --group COLUMN).");
        var classes = distributions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var wanted = request.TrainClasses ?? [];
        var unknown = wanted.Where(w => !classes.Contains(w, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
        {
            throw new AcrUsageException($"--train-classes: {string.Join(", ", unknown)} do not occur in the data; its distributions are {string.Join(", ", classes)}.");
        }

        var trainSet = wanted.Count > 0 ? wanted.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray() : classes;
        if (trainSet.Length < 2)
        {
            throw new AcrUsageException($"ACR meta-training needs at least 2 training distributions (each task takes its anomalies from the others); the data has {trainSet.Length} ({string.Join(", ", trainSet)}). Check --label/--group or --train-classes.");
        }

        var rowsByClass = trainSet.Select(cls => Enumerable.Range(0, data.Rows).Where(r => distributions[r] == cls).ToArray()).ToArray();
        var standardizer = Standardizer.Fit(data.Features, data.Columns, rowsByClass.SelectMany(r => r).ToArray());
        var x = standardizer.Transform(data.Features);
        var model = TrainModel(detector, options, request.Seed, x, data.Columns, rowsByClass, request.Training, backend, progress, request.Checkpoint, cancellationToken, out var losses);
        var config = new ModelConfig
        {
            Detector = detector.Name,
            DetectorOptions = options,
            Seed = request.Seed,
            FeatureNames = data.FeatureNames,
            Categorical = data.Categorical,
            PreprocessingMean = standardizer.Mean,
            PreprocessingStd = standardizer.Std,
            TrainClasses = trainSet,
            Training = Record(request.Training, backend, data.Source),
        };
        return new TrainedModel(model, standardizer, config, backend, losses);
    }

    /// <summary>
    /// Builds a model from the seed and meta-trains it on preprocessed rows grouped by training distribution; the model
    /// is disposed if training fails.
    /// </summary>
    /// <param name="detector">The detector.</param>
    /// <param name="options">Its resolved options.</param>
    /// <param name="seed">Initialisation and sampling seed.</param>
    /// <param name="features">Preprocessed row-major features of every row.</param>
    /// <param name="columns">Features per row.</param>
    /// <param name="rowsByClass">Row indices of each training distribution.</param>
    /// <param name="training">The schedule.</param>
    /// <param name="backend">Where the model lives.</param>
    /// <param name="progress">Called after every iteration, or null.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <param name="losses">The loss of every iteration (empty for a training-free detector).</param>
    public static DetectorModel TrainModel(IDetector detector, IReadOnlyDictionary<string, string> options, ulong seed, float[] features, int columns,
        IReadOnlyList<int[]> rowsByClass, MetaTrainingOptions training, ComputeBackend backend, Action<TrainingProgress>? progress,
        CancellationToken cancellationToken, out double[] losses) =>
        TrainModel(detector, options, seed, features, columns, rowsByClass, training, backend, progress, null, cancellationToken, out losses);

    /// <summary>
    /// Builds a model from the seed and meta-trains it as the other overload does, writing checkpoints and resuming from one
    /// as <paramref name="checkpoint"/> says (the run's fingerprint is computed here, from these arguments).
    /// </summary>
    /// <param name="detector">The detector.</param>
    /// <param name="options">Its resolved options.</param>
    /// <param name="seed">Initialisation and sampling seed.</param>
    /// <param name="features">Preprocessed row-major features of every row.</param>
    /// <param name="columns">Features per row.</param>
    /// <param name="rowsByClass">Row indices of each training distribution.</param>
    /// <param name="training">The schedule.</param>
    /// <param name="backend">Where the model lives.</param>
    /// <param name="progress">Called after every iteration, or null.</param>
    /// <param name="checkpoint">Checkpoints to write and resume from, or null for none.</param>
    /// <param name="cancellationToken">Stops between iterations (after writing a checkpoint, when checkpointing).</param>
    /// <param name="losses">The loss of every iteration (empty for a training-free detector).</param>
    public static DetectorModel TrainModel(IDetector detector, IReadOnlyDictionary<string, string> options, ulong seed, float[] features, int columns,
        IReadOnlyList<int[]> rowsByClass, MetaTrainingOptions training, ComputeBackend backend, Action<TrainingProgress>? progress,
        TrainingCheckpointOptions? checkpoint, CancellationToken cancellationToken, out double[] losses)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(training);
        var model = DetectorOptionResolver.CreateModel(detector, new DetectorModelSpec(columns, options, seed), backend);
        try
        {
            var sampler = TaskSampler.Create(features, columns, rowsByClass, training, SeededRandom.ForStream(seed, 2));
            var fingerprint = checkpoint is null ? null : TrainingCheckpoint.Fingerprint(detector.Name, options, seed, training, backend, features, columns, rowsByClass);
            losses = new MetaTrainer(backend).Train(model, sampler, training, progress, checkpoint, fingerprint, cancellationToken);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The training settings as the model file records them.</summary>
    /// <param name="training">The schedule.</param>
    /// <param name="backend">Where it ran.</param>
    /// <param name="source">The data's source.</param>
    public static TrainingRecord Record(MetaTrainingOptions training, ComputeBackend backend, string source)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(backend);
        return new TrainingRecord(training.Iterations, training.TasksPerIteration, training.TaskSize, training.AnomalyRatio, training.Adam.LearningRate, backend.Name, source);
    }

    private static void Validate(MetaTrainingOptions training)
    {
        try
        {
            training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException(e.UserMessage(), e);
        }
    }
}
