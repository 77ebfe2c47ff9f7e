using System.Diagnostics;
using Acr.Host.Composition;
using Acr.Host.Evaluation;
using Acr.Host.Preprocessing;
using Acr.Host.Scoring;
using Acr.Host.Training;
using Acr.Nn;
using Acr.Numerics;

namespace Acr.Host.Recipes;

/// <summary>How a detector is trained and which score it applies.</summary>
public enum TrainingRecipe
{
    /// <summary>The paper's recipe: ACR meta-training for the given iterations; the score is ACR's.</summary>
    Paper,

    /// <summary>
    /// Meta-validation (the default of <c>acr train</c> and <c>acr evaluate</c>): some training classes are held out as
    /// validation distributions, zero-shot tasks are built from them like test tasks, and they choose the number of
    /// iterations and the scorer (ACR, B2, in-batch kNN, or a within-batch rank average); then the model is refitted on
    /// every training class. See <see cref="MetaValidation"/>.
    /// </summary>
    Validated,
}

/// <summary>Settings of <see cref="MetaValidation"/>.</summary>
public sealed record MetaValidationOptions
{
    /// <summary>Contamination levels π of the validation tasks; the selection averages the AUROC over them.</summary>
    public IReadOnlyList<double> Contaminations { get; init; } = [0.01, 0.05, 0.1, 0.2];

    /// <summary>Independent draws of the validation tasks' anomalies per fold and π (a task at small π holds one anomaly; more draws average that out).</summary>
    public int Draws { get; init; } = 5;

    /// <summary>The k of in-batch kNN tried.</summary>
    public IReadOnlyList<int> KnnGrid { get; init; } = [5, 10, 20];

    /// <summary>Validation checkpoints along each fold's training (every iterations / checkpoints steps, and the last).</summary>
    public int Checkpoints { get; init; } = 10;

    /// <summary>Most normal rows of one validation task (a larger class gives a random subset per draw), which bounds the exact kNN's n² cost.</summary>
    public int MaxTaskNormals { get; init; } = 2048;

    /// <summary>Throws <see cref="AcrUsageException"/> for an invalid setting.</summary>
    public void Validate()
    {
        if (Contaminations.Count == 0 || Contaminations.Any(p => p is <= 0 or >= 1 || double.IsNaN(p)))
        {
            throw new AcrUsageException($"Every validation contamination π must be in (0, 1); got {string.Join(", ", Contaminations)}.");
        }

        if (Draws is < 1 or > 1000)
        {
            throw new AcrUsageException($"Validation draws must be between 1 and 1000; got {Draws}.");
        }

        if (KnnGrid.Count == 0 || KnnGrid.Any(k => k is < 1 or > InBatchKnnScorer.MaxK) || KnnGrid.Distinct().Count() != KnnGrid.Count)
        {
            throw new AcrUsageException($"The kNN grid needs distinct k in 1..{InBatchKnnScorer.MaxK}; got {string.Join(", ", KnnGrid)}.");
        }

        if (Checkpoints is < 1 or > 1000)
        {
            throw new AcrUsageException($"Validation checkpoints must be between 1 and 1000; got {Checkpoints}.");
        }

        if (MaxTaskNormals is < 2 or > InBatchKnnScorer.MaxBatchRows / 2)
        {
            throw new AcrUsageException($"Validation task normals must be between 2 and {InBatchKnnScorer.MaxBatchRows / 2}; got {MaxTaskNormals}.");
        }
    }
}

/// <summary>One fold of the meta-validation.</summary>
/// <param name="HeldOut">Validation classes: each is the normal class of its validation tasks.</param>
/// <param name="Train">Classes the fold's model is trained and preprocessed on.</param>
/// <param name="AnomaliesFromTraining">
/// False: a task's anomalies come from the other held-out classes, exactly like test tasks. True (leave one class out, with
/// 2 or 3 training classes): they come from the fold's training classes, the only other rows there are.
/// </param>
public sealed record ValidationFold(IReadOnlyList<string> HeldOut, IReadOnlyList<string> Train, bool AnomaliesFromTraining);

/// <summary>ACR's validation AUROC after some iterations.</summary>
/// <param name="Iteration">Iterations trained.</param>
/// <param name="MeanAuroc">Mean over folds of the mean validation AUROC (over π and tasks).</param>
public sealed record ValidationCheckpoint(int Iteration, double MeanAuroc);

/// <summary>One candidate scorer's validation figures.</summary>
/// <param name="Name">Readable name.</param>
/// <param name="Scorer">Component ids (<see cref="ScoreComponent.Id"/>).</param>
/// <param name="MeanAuroc">Mean over folds and π of the mean validation AUROC.</param>
/// <param name="AurocByContamination">The same per validation π.</param>
public sealed record ValidationCandidate(string Name, IReadOnlyList<string> Scorer, double MeanAuroc, IReadOnlyList<double> AurocByContamination);

/// <summary>What meta-validation chose, and on what evidence.</summary>
/// <param name="Scorer">The chosen scorer's component ids.</param>
/// <param name="ScorerName">Its readable name.</param>
/// <param name="Iterations">Iterations chosen for the refit (early stopping; the requested number when ACR could not be validated).</param>
/// <param name="AcrValidated">Whether ACR was a candidate (its folds could be meta-trained).</param>
/// <param name="Note">Why ACR was not a candidate (and so was rank-averaged with the best validated training-free scorer), or null.</param>
/// <param name="Folds">The folds.</param>
/// <param name="Contaminations">Validation π.</param>
/// <param name="Draws">Draws per fold and π.</param>
/// <param name="ValidationTasks">Validation tasks scored per candidate (all folds, π and draws).</param>
/// <param name="Checkpoints">ACR's validation AUROC along training.</param>
/// <param name="Candidates">Every candidate, in the order tried (ties go to the earlier).</param>
/// <param name="Seconds">
/// Wall time of the meta-validation (fold trainings and scoring; not the refit). Not serialised, so a model file stays
/// bit-identical for the same seed; <c>metrics.json</c> records it as <c>validationSeconds</c>.
/// </param>
public sealed record RecipeSelection(IReadOnlyList<string> Scorer, string ScorerName, int Iterations, bool AcrValidated, string? Note,
    IReadOnlyList<ValidationFold> Folds, IReadOnlyList<double> Contaminations, int Draws, int ValidationTasks,
    IReadOnlyList<ValidationCheckpoint> Checkpoints, IReadOnlyList<ValidationCandidate> Candidates, [property: System.Text.Json.Serialization.JsonIgnore] double Seconds = 0)
{
    /// <summary>The chosen scorer.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ScorerChoice Choice => ScorerChoice.Parse(Scorer);
}

/// <summary>
/// Model selection without test classes. The training classes (never the test classes: the caller passes only their
/// rows) are split into folds: with K ≥ 4 training classes, a seeded-random half (⌈K/2⌉ classes) is held out in the first
/// fold and the other half in the second (two-fold cross-validation over classes, so every training class is a
/// validation distribution once); with K = 2 or 3, every class is held out once (leave one class out). Each fold fits the
/// preprocessing on its training classes only, builds zero-shot tasks from its held-out classes like the test tasks
/// (all rows of one held-out class, up to <see cref="MetaValidationOptions.MaxTaskNormals"/>, plus max(1, ⌊n·π/(1−π)⌋)
/// anomalies drawn without replacement from the other held-out classes — from the fold's training classes when only one
/// class is held out), and meta-trains the detector on its training classes, scoring ACR on the validation tasks every
/// iterations / <see cref="MetaValidationOptions.Checkpoints"/> steps. The iteration count with the best mean
/// validation AUROC (the earliest among ties) is chosen; then every candidate — ACR at that count, B2, in-batch kNN for
/// each k of the grid, and the within-batch rank averages of ACR + B2, ACR + kNN, B2 + kNN and ACR + B2 + kNN — is
/// scored on the same tasks, and the best mean AUROC (over folds, π, tasks and draws) wins, the simpler candidate on a
/// tie. ACR is a candidate only when every fold keeps at least 2 training classes that can fill a task (so not with 2
/// training classes); when it is not, nothing was measured to prefer ACR or a training-free scorer, so the recipe hedges:
/// it applies the rank average of ACR (the requested iterations) and the best validated training-free candidate. Cost: at most 2 (3 with
/// K = 3) fold trainings of the requested iterations besides the refit, plus scoring the validation tasks.
/// </summary>
public static class MetaValidation
{
    /// <summary>The candidates in the order tried.</summary>
    /// <param name="acr">Whether ACR is available.</param>
    /// <param name="knnGrid">The k tried.</param>
    public static IReadOnlyList<ScorerChoice> Candidates(bool acr, IReadOnlyList<int> knnGrid)
    {
        ArgumentNullException.ThrowIfNull(knnGrid);
        var list = new List<ScorerChoice>();
        var knn = knnGrid.Select(ScoreComponent.Knn).ToArray();
        if (acr)
        {
            list.Add(ScorerChoice.AcrOnly);
        }

        list.Add(new([ScoreComponent.RawBatchNorm]));
        list.AddRange(knn.Select(k => new ScorerChoice([k])));
        if (acr)
        {
            list.Add(new([ScoreComponent.Acr, ScoreComponent.RawBatchNorm]));
            list.AddRange(knn.Select(k => new ScorerChoice([ScoreComponent.Acr, k])));
        }

        list.AddRange(knn.Select(k => new ScorerChoice([ScoreComponent.RawBatchNorm, k])));
        if (acr)
        {
            list.AddRange(knn.Select(k => new ScorerChoice([ScoreComponent.Acr, ScoreComponent.RawBatchNorm, k])));
        }

        return list;
    }

    /// <summary>The folds for <paramref name="classes"/> training classes (indices into them).</summary>
    /// <param name="classes">Training classes K (≥ 2).</param>
    /// <param name="seed">Seed of the class shuffle.</param>
    public static IReadOnlyList<(int[] HeldOut, int[] Train, bool AnomaliesFromTraining)> Folds(int classes, ulong seed)
    {
        if (classes < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), "Meta-validation needs at least 2 training classes.");
        }

        var all = Enumerable.Range(0, classes).ToArray();
        if (classes <= 3)
        {
            return all.Select(c => (new[] { c }, all.Where(o => o != c).ToArray(), true)).ToArray();
        }

        var perm = all.ToArray();
        SeededRandom.ForStream(seed, 7).Shuffle(perm.AsSpan());
        // Two-fold cross-validation over classes: every training class is a validation distribution once, and a task's
        // anomalies come from about K/2 − 1 other classes, closer to the test tasks' K_test − 1 than a small held-out set.
        var half = (classes + 1) / 2;
        int[][] held = [perm[..half].Order().ToArray(), perm[half..].Order().ToArray()];
        return held.Select(h => (h, all.Except(h).ToArray(), false)).ToArray();
    }

    /// <summary>Runs the meta-validation on the training classes' rows.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="detectorOptions">Its resolved options.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="features">Raw (not preprocessed) row-major features of the training classes' rows only.</param>
    /// <param name="columns">Features per row.</param>
    /// <param name="classNames">Training class names.</param>
    /// <param name="rowsByClass">Rows of <paramref name="features"/> of each training class.</param>
    /// <param name="training">The meta-training schedule (its iterations are the most the folds train).</param>
    /// <param name="options">Validation settings.</param>
    /// <param name="backend">Where to train and score.</param>
    /// <param name="progress">Training progress of the folds (fold index, report), or null.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    public static RecipeSelection Select(IDetector detector, IReadOnlyDictionary<string, string> detectorOptions, ulong seed, float[] features, int columns,
        IReadOnlyList<string> classNames, IReadOnlyList<int[]> rowsByClass, MetaTrainingOptions training, MetaValidationOptions options, ComputeBackend backend,
        Action<int, TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(rowsByClass);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        var folds = Folds(classNames.Count, seed);
        var acr = folds.All(f => f.Train.Length >= 2);
        string? note = acr ? null : $"ACR could not be validated: with {classNames.Count} training classes, leaving one out leaves a single class to meta-train on (ACR draws a task's anomalies from the other training classes); ACR is rank-averaged with the best validated training-free scorer";
        var step = Math.Max(1, training.Iterations / options.Checkpoints);
        var checkpointIterations = Enumerable.Range(1, training.Iterations / step).Select(i => i * step).Append(training.Iterations).Distinct().ToArray();
        var foldData = new List<FoldData>();
        for (var f = 0; f < folds.Count; f++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (heldOut, train, fromTraining) = folds[f];
            var trainRows = train.SelectMany(c => rowsByClass[c]).ToArray();
            var x = Standardizer.Fit(features, columns, trainRows).Transform(features);
            var tasks = BuildTasks(heldOut, train, fromTraining, rowsByClass, options, SeededRandom.ForStream(seed, 11 + (ulong)f));
            var batch = RowGather.Gather(x, columns, tasks.SelectMany(t => t.Rows).ToArray());
            var lengths = tasks.Select(t => t.Rows.Length).ToArray();
            var data = new FoldData(tasks, batch, lengths);
            if (acr)
            {
                try
                {
                    TrainFold(detector, detectorOptions, seed, f, x, columns, train.Select(c => rowsByClass[c]).ToArray(), training, backend, checkpointIterations, data,
                        progress, cancellationToken);
                }
                catch (AcrUsageException e)
                {
                    acr = false;
                    note = $"ACR could not be validated: fold {f + 1}'s training classes ({string.Join(", ", train.Select(c => classNames[c]))}) cannot be meta-trained ({e.Message}); ACR is rank-averaged with the best validated training-free scorer";
                }
            }

            foldData.Add(data);
        }

        // Early stopping: the checkpoint with the best mean validation AUROC over folds (the earliest on a tie).
        var checkpoints = new List<ValidationCheckpoint>();
        var best = -1;
        if (acr)
        {
            for (var c = 0; c < checkpointIterations.Length; c++)
            {
                var mean = foldData.Average(d => MeanAuroc(d, d.AcrAt[c], options.Contaminations.Count).Mean);
                checkpoints.Add(new ValidationCheckpoint(checkpointIterations[c], mean));
                if (best < 0 || mean > checkpoints[best].MeanAuroc)
                {
                    best = c;
                }
            }
        }

        var candidates = new List<ValidationCandidate>();
        var bestCandidate = -1;
        var choices = Candidates(acr, options.KnnGrid);
        foreach (var choice in choices)
        {
            var perFold = foldData.Select(d =>
            {
                var parts = choice.Components.Select(c => c.Kind switch
                {
                    ScoreComponentKind.Acr => d.AcrAt[best],
                    ScoreComponentKind.RawBatchNorm => d.RawBatchNorm(backend, columns),
                    _ => d.Knn(c.K, columns, options.KnnGrid),
                }).ToArray();
                return MeanAuroc(d, choice.Combine(parts, d.Lengths), options.Contaminations.Count);
            }).ToArray();
            var byPi = Enumerable.Range(0, options.Contaminations.Count).Select(p => perFold.Average(r => r.ByPi[p])).ToArray();
            candidates.Add(new ValidationCandidate(choice.Name, choice.Ids, perFold.Average(r => r.Mean), byPi));
            if (bestCandidate < 0 || candidates[^1].MeanAuroc > candidates[bestCandidate].MeanAuroc)
            {
                bestCandidate = candidates.Count - 1;
            }
        }

        // Without evidence about ACR, neither drop it nor trust it alone: hedge with the within-batch rank average of ACR and
        // the best validated training-free scorer.
        var chosen = acr ? choices[bestCandidate] : new ScorerChoice([ScoreComponent.Acr, .. choices[bestCandidate].Components]);
        return new RecipeSelection(chosen.Ids, chosen.Name, acr ? checkpointIterations[best] : training.Iterations, acr, note,
            folds.Select(f => new ValidationFold(f.HeldOut.Select(c => classNames[c]).ToArray(), f.Train.Select(c => classNames[c]).ToArray(), f.AnomaliesFromTraining)).ToArray(),
            [.. options.Contaminations], options.Draws, foldData.Sum(d => d.Tasks.Count), checkpoints, candidates, clock.Elapsed.TotalSeconds);
    }

    private static void TrainFold(IDetector detector, IReadOnlyDictionary<string, string> detectorOptions, ulong seed, int fold, float[] x, int columns, int[][] rowsByClass,
        MetaTrainingOptions training, ComputeBackend backend, int[] checkpointIterations, FoldData data, Action<int, TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var foldSeed = seed ^ (0x5851F42D4C957F2DUL * (ulong)(fold + 1));
        DetectorModel? live = null;
        using var segments = BatchSegments.Create(backend, data.Lengths);

        // The callback runs after each optimizer step, so the model it scores is the one after p.Iteration steps.
        void OnProgress(TrainingProgress p)
        {
            progress?.Invoke(fold, p);
            if (live is not null && data.AcrAt.Count < checkpointIterations.Length && p.Iteration == checkpointIterations[data.AcrAt.Count])
            {
                data.AcrAt.Add(ScoreAcr(live, backend, data, segments));
            }
        }

        // Built and trained as ModelTrainer.TrainModel does, keeping hold of the model so the callback can score it.
        var model = DetectorOptionResolver.CreateModel(detector, new DetectorModelSpec(columns, detectorOptions, foldSeed), backend);
        try
        {
            live = model;
            var sampler = TaskSampler.Create(x, columns, rowsByClass, training, SeededRandom.ForStream(foldSeed, 2));
            _ = new MetaTrainer(backend).Train(model, sampler, training, OnProgress, cancellationToken);
            while (data.AcrAt.Count < checkpointIterations.Length)
            {
                data.AcrAt.Add(ScoreAcr(model, backend, data, segments)); // a training-free detector takes no steps
            }
        }
        finally
        {
            model.Dispose();
        }
    }

    private static float[] ScoreAcr(DetectorModel model, ComputeBackend backend, FoldData data, BatchSegments segments)
    {
        using var scorer = new ZeroShotScorer(model, backend);
        var scores = new float[segments.TotalRows];
        scorer.Score(data.Batch, segments, BatchNormMode.Batch, scores);
        return scores;
    }

    private static List<ValidationTask> BuildTasks(int[] heldOut, int[] train, bool fromTraining, IReadOnlyList<int[]> rowsByClass, MetaValidationOptions options, SeededRandom random)
    {
        var tasks = new List<ValidationTask>();
        for (var p = 0; p < options.Contaminations.Count; p++)
        {
            var pi = options.Contaminations[p];
            for (var draw = 0; draw < options.Draws; draw++)
            {
                foreach (var c in heldOut)
                {
                    var own = rowsByClass[c].ToArray();
                    var n = Math.Min(own.Length, options.MaxTaskNormals);
                    PartialShuffle(own, n, random);
                    var pool = (fromTraining ? train : heldOut.Where(o => o != c)).SelectMany(o => rowsByClass[o]).ToArray();
                    var k = Math.Min(ZeroShotByClassProtocol.AnomalyCount(n, pi), pool.Length);
                    PartialShuffle(pool, k, random);
                    tasks.Add(new ValidationTask(p, [.. own.AsSpan(0, n), .. pool.AsSpan(0, k)], [.. Enumerable.Repeat(false, n), .. Enumerable.Repeat(true, k)]));
                }
            }
        }

        return tasks;
    }

    private static void PartialShuffle(int[] items, int count, SeededRandom random)
    {
        for (var i = 0; i < count; i++)
        {
            var j = i + random.NextInt(items.Length - i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Mean AUROC per validation π (over its tasks and draws) and their mean.</summary>
    private static (double Mean, double[] ByPi) MeanAuroc(FoldData data, float[] scores, int contaminations)
    {
        var sums = new double[contaminations];
        var counts = new int[contaminations];
        var start = 0;
        foreach (var task in data.Tasks)
        {
            var n = task.Rows.Length;
            var s = new double[n];
            for (var i = 0; i < n; i++)
            {
                s[i] = scores[start + i];
            }

            sums[task.Contamination] += BinaryMetrics.Auroc(s, task.IsAnomaly);
            counts[task.Contamination]++;
            start += n;
        }

        var byPi = sums.Select((v, p) => v / counts[p]).ToArray();
        return (byPi.Average(), byPi);
    }

    private sealed record ValidationTask(int Contamination, int[] Rows, bool[] IsAnomaly);

    private sealed class FoldData(List<ValidationTask> tasks, float[] batch, int[] lengths)
    {
        private float[]? _rawBatchNorm;
        private float[][]? _knn;

        public List<ValidationTask> Tasks { get; } = tasks;

        public float[] Batch { get; } = batch;

        public int[] Lengths { get; } = lengths;

        /// <summary>ACR's scores at each checkpoint.</summary>
        public List<float[]> AcrAt { get; } = [];

        public float[] RawBatchNorm(ComputeBackend backend, int columns) =>
            _rawBatchNorm ??= ComponentScorer.Score(ScoreComponent.RawBatchNorm, Batch, columns, Lengths, null, backend);

        public float[] Knn(int k, int columns, IReadOnlyList<int> grid)
        {
            _knn ??= InBatchKnnScorer.Score(Batch, columns, Lengths, grid.ToArray());
            return _knn[grid.ToList().IndexOf(k)];
        }
    }
}
