using System.Diagnostics;
using Acr.Host.Composition;
using Acr.Host.Preprocessing;
using Acr.Host.Recipes;
using Acr.Host.Scoring;
using Acr.Host.Training;
using Acr.Nn;
using Acr.Numerics;

namespace Acr.Host.Evaluation;

/// <summary>Settings of the zero-shot-by-class protocol (protocols.md).</summary>
public sealed record ZeroShotProtocolOptions
{
    /// <summary>Contamination levels π of the test tasks.</summary>
    public IReadOnlyList<double> Contaminations { get; init; } = [0.01, 0.05, 0.1, 0.2];

    /// <summary>Number of seeds; seed s uses <see cref="BaseSeed"/> + s.</summary>
    public int Seeds { get; init; } = 5;

    /// <summary>First seed.</summary>
    public ulong BaseSeed { get; init; }

    /// <summary>Meta-training settings (with <see cref="TrainingRecipe.Validated"/>, their iterations are the most tried).</summary>
    public MetaTrainingOptions Training { get; init; } = new();

    /// <summary>
    /// How each seed's model is trained and which score the "Selected" method applies: <see cref="TrainingRecipe.Paper"/>
    /// (the library's default: plain ACR meta-training, no "Selected" method) or <see cref="TrainingRecipe.Validated"/>
    /// (the default of <c>acr evaluate</c>: meta-validation on the training classes chooses the iterations and the scorer,
    /// then the model is refitted on every training class; see <see cref="MetaValidation"/>).
    /// </summary>
    public TrainingRecipe Recipe { get; init; } = TrainingRecipe.Paper;

    /// <summary>Meta-validation settings, used with <see cref="TrainingRecipe.Validated"/>.</summary>
    public MetaValidationOptions Validation { get; init; } = new();

    /// <summary>Resolved detector options.</summary>
    public IReadOnlyDictionary<string, string> DetectorOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>Explicit training classes, or null for the first floor(K/2).</summary>
    public IReadOnlyList<string>? TrainClasses { get; init; }

    /// <summary>
    /// Independent draws of the test tasks per seed and π (1, the protocol's own setting, by default). Each
    /// draw picks fresh anomalies for every test class from the same stream (draw 0 is the one-draw result),
    /// and a seed's metrics average over all its draws. At small π a task holds a single anomaly, so its
    /// AUROC is one row's rank; more draws average that luck out without retraining.
    /// </summary>
    public int TestDraws { get; init; } = 1;

    /// <summary>
    /// Normal rows per test batch, or null (the tabular protocol) for one batch per test class holding all its rows. The
    /// image protocol uses 100: each draw cuts a test class's rows, shuffled, into ⌊n/N⌋ batches of N normals (all n in
    /// one batch when n &lt; N), and each batch gets its own π share of anomalies from the other test classes.
    /// </summary>
    public int? TestBatchNormals { get; init; }

    /// <summary>The most normal rows a test batch may have.</summary>
    public const int MaxTestBatchNormals = 1_000_000;

    /// <summary>Most test draws accepted.</summary>
    public const int MaxTestDraws = 10_000;

    /// <summary>Most seeds accepted (each trains a model; the per-row scores of every seed are kept for scores.csv).</summary>
    public const int MaxSeeds = 10_000;

    /// <summary>Throws <see cref="AcrUsageException"/> for an invalid setting.</summary>
    public void Validate()
    {
        if (TestBatchNormals is { } normals && (normals < 2 || normals > MaxTestBatchNormals))
        {
            throw new AcrUsageException($"--test-batch-normals must be between 2 and {MaxTestBatchNormals}; got {normals}.");
        }

        if (Seeds is < 1 or > MaxSeeds)
        {
            throw new AcrUsageException($"--seeds must be between 1 and {MaxSeeds}; got {Seeds}.");
        }

        if (TestDraws is < 1 or > MaxTestDraws)
        {
            throw new AcrUsageException($"--test-draws must be between 1 and {MaxTestDraws}; got {TestDraws}.");
        }

        if (Contaminations.Count == 0 || Contaminations.Any(p => p is <= 0 or >= 1 || double.IsNaN(p)))
        {
            throw new AcrUsageException($"Every contamination π must be in (0, 1); got {string.Join(", ", Contaminations)}.");
        }

        if (Contaminations.Distinct().Count() != Contaminations.Count)
        {
            throw new AcrUsageException($"--contamination lists a value twice ({string.Join(", ", Contaminations)}); give each π once.");
        }

        try
        {
            Training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException(e.UserMessage(), e);
        }

        Validation.Validate();
    }
}

/// <summary>What the protocol produced.</summary>
public sealed class ZeroShotEvaluation : IDisposable
{
    internal ZeroShotEvaluation(ClassSplit split, Standardizer standardizer, IReadOnlyList<SeedResult> seeds, IReadOnlyList<ScoreRow> scores, DetectorModel firstModel,
        TrainingRecipe recipe)
    {
        Recipe = recipe;
        Methods = ZeroShotByClassProtocol.MethodsOf(recipe);
        Split = split;
        Standardizer = standardizer;
        Seeds = seeds;
        Scores = scores;
        FirstModel = firstModel;
        Summary = Summarise(seeds, Methods);
    }

    /// <summary>The recipe the models were trained with.</summary>
    public TrainingRecipe Recipe { get; }

    /// <summary>The methods reported, in order: ACR, B1, B2, B3, and "Selected" (the recipe's chosen scorer) with <see cref="TrainingRecipe.Validated"/>.</summary>
    public IReadOnlyList<string> Methods { get; }

    /// <summary>The class split.</summary>
    public ClassSplit Split { get; }

    /// <summary>What the user should know about the run: each test class excluded for having too few rows.</summary>
    public IReadOnlyList<string> Warnings => Split.ExcludedTestClasses
        .Select(c => $"test class '{c}' has fewer than {ClassSplit.MinTestRows} rows and was excluded from the evaluation (a one-row task would score AUROC 0 or 1)")
        .ToArray();

    /// <summary>The preprocessing fitted on the training classes.</summary>
    public Standardizer Standardizer { get; }

    /// <summary>Per-seed results.</summary>
    public IReadOnlyList<SeedResult> Seeds { get; }

    /// <summary>Every scored row of every test task.</summary>
    public IReadOnlyList<ScoreRow> Scores { get; }

    /// <summary>Mean ± std over seeds per method and π.</summary>
    public IReadOnlyList<SummaryRow> Summary { get; }

    /// <summary>The model trained with the first seed (kept so it can be saved).</summary>
    public DetectorModel FirstModel { get; }

    /// <summary>Disposes <see cref="FirstModel"/>.</summary>
    public void Dispose() => FirstModel.Dispose();

    private static SummaryRow[] Summarise(IReadOnlyList<SeedResult> seeds, IReadOnlyList<string> methods)
    {
        var rows = new List<SummaryRow>();
        foreach (var method in methods)
        {
            foreach (var cr in seeds[0].ByContamination)
            {
                var perSeed = seeds.Select(s => s.ByContamination.Single(c => c.Contamination == cr.Contamination).Methods.Single(m => m.Method == method)).ToArray();
                var auroc = SummaryStatistics.MeanStd(perSeed.Select(m => m.MeanAuroc).ToArray());
                var aupr = SummaryStatistics.MeanStd(perSeed.Select(m => m.MeanAupr).ToArray());
                var f1 = SummaryStatistics.MeanStd(perSeed.Select(m => m.MeanF1).ToArray());
                rows.Add(new SummaryRow(method, cr.Contamination, auroc.Mean, auroc.Std, aupr.Mean, aupr.Std, f1.Mean, f1.Std));
            }
        }

        return [.. rows];
    }
}

/// <summary>
/// The zero-shot-by-class protocol: train classes = first floor(K/2) in ordinal order, z-scored with
/// training-class statistics; ACR meta-training; then, for each π and each test class, one task of all
/// its rows plus max(1, floor(n·π/(1−π))) anomalies drawn without replacement from the other test
/// classes, scored as one batch by ACR (batch mode), B1 (running statistics), B2 (raw batch norm), B3 (in-batch kNN,
/// k = 10) and, with the validated recipe, the scorer meta-validation chose ("Selected"). All test tasks of one π go
/// through the network in one pass, one segment each. Meta-validation sees only the training classes' rows.
/// </summary>
/// <param name="detector">The detector to meta-train.</param>
/// <param name="backend">The backend.</param>
public sealed class ZeroShotByClassProtocol(IDetector detector, ComputeBackend backend)
{
    /// <summary>The methods every run compares, in report order.</summary>
    public static readonly IReadOnlyList<string> Methods = ["ACR", "B1", "B2", "B3"];

    /// <summary>The name of the validated recipe's chosen scorer in the reports.</summary>
    public const string SelectedMethod = "Selected";

    /// <summary>The methods a run with <paramref name="recipe"/> reports.</summary>
    /// <param name="recipe">The recipe.</param>
    public static IReadOnlyList<string> MethodsOf(TrainingRecipe recipe) => recipe == TrainingRecipe.Validated ? [.. Methods, SelectedMethod] : Methods;

    private readonly IDetector _detector = detector ?? throw new ArgumentNullException(nameof(detector));
    private readonly ComputeBackend _backend = backend ?? throw new ArgumentNullException(nameof(backend));

    /// <summary>Anomalies added to a test task of <paramref name="normals"/> rows at contamination π.</summary>
    /// <param name="normals">Normal rows n.</param>
    /// <param name="contamination">π.</param>
    public static int AnomalyCount(int normals, double contamination) =>
        Math.Max(1, (int)Math.Floor(normals * contamination / (1 - contamination)));

    /// <summary>Runs the protocol.</summary>
    /// <param name="data">Labelled data.</param>
    /// <param name="options">Settings.</param>
    /// <param name="progress">Training progress per seed (seed index, report), or null.</param>
    /// <param name="cancellationToken">Cancels between iterations.</param>
    public ZeroShotEvaluation Run(TabularDataset data, ZeroShotProtocolOptions options, Action<int, TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default) => Run(data, options, null, progress, cancellationToken);

    /// <summary>
    /// Runs the protocol, saving each seed into <paramref name="resume"/>'s folder as it completes and, when resuming,
    /// loading the seeds an interrupted run of the same evaluation completed instead of running them again (the results
    /// are those of an uninterrupted run). The caller deletes the folder once the outputs are written.
    /// </summary>
    /// <param name="data">Labelled data.</param>
    /// <param name="options">Settings.</param>
    /// <param name="resume">Where completed seeds are kept and whether to continue after them; null keeps none.</param>
    /// <param name="progress">Training progress per seed (seed index, report), or null.</param>
    /// <param name="cancellationToken">Cancels between iterations.</param>
    /// <exception cref="AcrUsageException">The folder holds seeds of an interrupted run but <paramref name="resume"/> does not resume, or it resumes and there are none, or they belong to another evaluation.</exception>
    public ZeroShotEvaluation Run(TabularDataset data, ZeroShotProtocolOptions options, EvaluationResume? resume, Action<int, TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (data.Labels is null)
        {
            throw new AcrUsageException($"Zero-shot by class needs a label column; '{data.Source}' was read without one. Pass --label COLUMN.");
        }

        var split = ClassSplit.ByLabel(data.Labels, options.TrainClasses);
        CheckMemory(split, options, MemoryBudgetBytes());
        CheckTaskSizes(split, options);
        var standardizer = Standardizer.Fit(data.Features, data.Columns, split.AllTrainRows());
        var x = standardizer.Transform(data.Features);
        var d = data.Columns;
        var completed = resume is null ? null : new CompletedSeeds(resume, _detector, options, _backend, data, split);

        var seeds = new List<SeedResult>();
        var scoreRows = new List<ScoreRow>();
        DetectorModel? firstModel = null;
        try
        {
            for (var s = 0; s < options.Seeds; s++)
            {
                var seed = options.BaseSeed + (ulong)s;
                if (completed?.TryLoad(s, seed) is { } done)
                {
                    seeds.Add(done.Result);
                    scoreRows.AddRange(done.Scores);
                    firstModel ??= done.Model;
                    continue;
                }

                var firstScore = scoreRows.Count;
                var clock = Stopwatch.StartNew();
                RecipeSelection? selection = null;
                var training = options.Training;
                if (options.Recipe == TrainingRecipe.Validated)
                {
                    selection = Validate(data, split, options, seed, p => progress?.Invoke(s, p), cancellationToken);
                    training = training with { Iterations = selection.Iterations };
                }

                var model = ModelTrainer.TrainModel(_detector, options.DetectorOptions, seed, x, d, split.TrainRowsByClass, training, _backend,
                    p => progress?.Invoke(s, p), cancellationToken, out var losses);
                try
                {
                    var trainSeconds = clock.Elapsed.TotalSeconds;
                    var byPi = Evaluate(model, x, data.Labels, d, split, options.Contaminations, options.TestDraws, options.TestBatchNormals, seed, selection?.Choice, scoreRows);
                    var result = new SeedResult(seed, losses.Length > 0 ? losses[^1] : double.NaN, trainSeconds, byPi) { Selection = selection };
                    completed?.Save(s, result, scoreRows[firstScore..], s == 0 ? model : null);
                    seeds.Add(result);
                }
                finally
                {
                    if (firstModel is null)
                    {
                        firstModel = model;
                    }
                    else
                    {
                        model.Dispose();
                    }
                }
            }

            return new ZeroShotEvaluation(split, standardizer, seeds, scoreRows, firstModel!, options.Recipe);
        }
        catch
        {
            firstModel?.Dispose();
            completed?.RemoveCreatedIfEmpty();
            throw;
        }
    }

    /// <summary>Bytes one kept score row takes, with the list's growth headroom (a <see cref="ScoreRow"/> is 64 bytes; lists grow by doubling).</summary>
    internal const long BytesPerScoreRow = 128;

    /// <summary>
    /// Meta-validation of one seed on the training classes: only their rows, copied out of the data, reach it, so no
    /// test-class row can take part in the fold trainings, their preprocessing or the choice.
    /// </summary>
    private RecipeSelection Validate(TabularDataset data, ClassSplit split, ZeroShotProtocolOptions options, ulong seed, Action<TrainingProgress> progress,
        CancellationToken cancellationToken)
    {
        var d = data.Columns;
        var trainRows = split.AllTrainRows();
        var features = RowGather.Gather(data.Features, d, trainRows);
        var rowsByClass = new List<int[]>();
        var next = 0;
        foreach (var rows in split.TrainRowsByClass)
        {
            rowsByClass.Add(Enumerable.Range(next, rows.Length).ToArray());
            next += rows.Length;
        }

        return MetaValidation.Select(_detector, options.DetectorOptions, seed, features, d, split.TrainClasses, rowsByClass, options.Training, options.Validation, _backend,
            (_, p) => progress(p), cancellationToken);
    }

    /// <summary>Refuses, before any training, a test task too large for the exact in-batch kNN of B3.</summary>
    internal static void CheckTaskSizes(ClassSplit split, ZeroShotProtocolOptions options)
    {
        var testRows = split.TestRowsByClass.Sum(r => r.Length);
        for (var t = 0; t < split.TestClasses.Count; t++)
        {
            var n = Math.Min(split.TestRowsByClass[t].Length, options.TestBatchNormals ?? int.MaxValue);
            var largest = n + Math.Min(AnomalyCount(n, options.Contaminations.Max()), testRows - split.TestRowsByClass[t].Length);
            if (largest > InBatchKnnScorer.MaxBatchRows)
            {
                throw new AcrUsageException(string.Create(CultureInfo.InvariantCulture,
                    $"Test class '{split.TestClasses[t]}' makes a task of {largest:N0} rows; baseline B3 (in-batch kNN) compares every pair of a task's rows and takes at most {InBatchKnnScorer.MaxBatchRows:N0}; cut test classes into batches with --test-batch-normals N (the image protocol uses 100), or evaluate on a subsample."));
            }
        }
    }

    /// <summary>Half the memory the runtime may use: what the kept results of a run may take.</summary>
    internal static long MemoryBudgetBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

    /// <summary>
    /// Estimates the memory of the per-row scores the run keeps (every seed's first draw, for scores.csv) and refuses a
    /// run whose estimate exceeds <paramref name="budgetBytes"/> before any training, saying what to lower.
    /// </summary>
    internal static void CheckMemory(ClassSplit split, ZeroShotProtocolOptions options, long budgetBytes)
    {
        long rowsPerSeed = 0;
        var testRows = split.TestRowsByClass.Sum(r => (long)r.Length);
        foreach (var pi in options.Contaminations)
        {
            foreach (var normals in split.TestRowsByClass)
            {
                rowsPerSeed += normals.Length + Math.Min(AnomalyCount(normals.Length, pi), testRows - normals.Length);
            }
        }

        var bytes = rowsPerSeed * BytesPerScoreRow * options.Seeds;
        if (bytes > budgetBytes)
        {
            var maxSeeds = Math.Max(0, budgetBytes / Math.Max(1, rowsPerSeed * BytesPerScoreRow));
            throw new AcrUsageException(string.Create(CultureInfo.InvariantCulture,
                $"--seeds {options.Seeds} would keep about {bytes / (1 << 20):N0} MiB of per-row scores ({rowsPerSeed:N0} rows per seed over {options.Contaminations.Count} contamination level(s)), " +
                $"more than the {budgetBytes / (1 << 20):N0} MiB this run may use; lower --seeds (at most {maxSeeds} here) or give fewer --contamination levels."));
        }
    }

    private List<ContaminationResult> Evaluate(DetectorModel model, float[] x, IReadOnlyList<string> classOf, int d, ClassSplit split, IReadOnlyList<double> contaminations,
        int draws, int? batchNormals, ulong seed, ScorerChoice? selected, List<ScoreRow> scoreRows)
    {
        var results = new List<ContaminationResult>();
        using var scorer = new ZeroShotScorer(model, _backend);
        using var rawBatchNorm = new RawBatchNormScorer(_backend, d);
        foreach (var pi in contaminations)
        {
            // One stream per (seed, π): the tasks of a π do not depend on which other π are listed.
            var random = SeededRandom.ForStream(seed ^ BitConverter.DoubleToUInt64Bits(pi), 3);

            // Each test class's anomaly pool: the rows of the other test classes. Draws shuffle it in place
            // (a partial Fisher–Yates is uniform from any order), so draw 0 starts from the data order.
            var anomalyPools = split.TestRowsByClass.Select((_, t) => split.TestRowsByClass.Where((_, i) => i != t).SelectMany(r => r).ToArray()).ToArray();
            var methods = MethodsOf(selected is null ? TrainingRecipe.Paper : TrainingRecipe.Validated);
            var perMethod = methods.Select(_ => new List<TaskMetrics>()).ToArray();
            for (var draw = 0; draw < draws; draw++)
            {
                EvaluateDraw(scorer, rawBatchNorm, x, classOf, d, split, anomalyPools, pi, draw, batchNormals, random, seed, selected, perMethod, draw == 0 ? scoreRows : null);
            }

            results.Add(new ContaminationResult(pi, methods.Select((name, m) => new MethodMetrics(name, perMethod[m])).ToArray()));
        }

        return results;
    }

    /// <summary>
    /// One draw of the test tasks of one π: for each test class, all its rows (or, with <paramref name="batchNormals"/>,
    /// its rows shuffled and cut into batches of that many) plus anomalies drawn without replacement from the other test
    /// classes, per task; every task scored in one pass (one segment each).
    /// </summary>
    private static void EvaluateDraw(ZeroShotScorer scorer, RawBatchNormScorer rawBatchNorm, float[] x, IReadOnlyList<string> classOf, int d, ClassSplit split,
        int[][] anomalyPools, double pi, int draw, int? batchNormals, SeededRandom random, ulong seed, ScorerChoice? selected, List<TaskMetrics>[] perMethod, List<ScoreRow>? scoreRows)
    {
        var taskRows = new List<int[]>();
        var taskLabels = new List<bool[]>();
        var taskClass = new List<int>();
        var taskBatch = new List<int>();
        for (var t = 0; t < split.TestClasses.Count; t++)
        {
            var rows = split.TestRowsByClass[t];
            var batches = batchNormals is { } size && rows.Length > size ? rows.Length / size : 1;
            var normalsOfClass = rows;
            if (batches > 1 || batchNormals is not null)
            {
                normalsOfClass = (int[])rows.Clone();
                for (var i = normalsOfClass.Length - 1; i > 0; i--)
                {
                    var j = random.NextInt(i + 1);
                    (normalsOfClass[i], normalsOfClass[j]) = (normalsOfClass[j], normalsOfClass[i]);
                }
            }

            var perBatch = batches > 1 ? batchNormals!.Value : rows.Length;
            for (var b = 0; b < batches; b++)
            {
                var normals = normalsOfClass.AsSpan(b * perBatch, perBatch);
                var others = anomalyPools[t];
                var k = Math.Min(AnomalyCount(normals.Length, pi), others.Length);
                for (var i = 0; i < k; i++)
                {
                    var j = i + random.NextInt(others.Length - i);
                    (others[i], others[j]) = (others[j], others[i]);
                }

                taskRows.Add([.. normals, .. others.AsSpan(0, k)]);
                taskLabels.Add([.. Enumerable.Repeat(false, normals.Length), .. Enumerable.Repeat(true, k)]);
                taskClass.Add(t);
                taskBatch.Add(batchNormals is null ? -1 : b);
            }
        }

        using var segments = BatchSegments.Create(scorer.Backend, taskRows.Select(r => r.Length).ToArray());
        var batch = RowGather.Gather(x, d, taskRows.SelectMany(r => r).ToArray());
        var acr = new float[segments.TotalRows];
        var b1 = new float[segments.TotalRows];
        var b2 = new float[segments.TotalRows];
        scorer.Score(batch, segments, BatchNormMode.Batch, acr);
        scorer.Score(batch, segments, BatchNormMode.Running, b1);
        rawBatchNorm.Score(batch, segments, b2);
        var lengths = taskRows.Select(r => r.Length).ToArray();
        var b3 = InBatchKnnScorer.Score(batch, d, lengths, InBatchKnnScorer.DefaultK);
        float[]? chosen = null;
        if (selected is not null)
        {
            var parts = selected.Components.Select(c => c.Kind switch
            {
                ScoreComponentKind.Acr => acr,
                ScoreComponentKind.RawBatchNorm => b2,
                _ when c.K == InBatchKnnScorer.DefaultK => b3,
                _ => InBatchKnnScorer.Score(batch, d, lengths, c.K),
            }).ToArray();
            chosen = selected.Combine(parts, lengths);
        }

        float[][] methodScores = chosen is null ? [acr, b1, b2, b3] : [acr, b1, b2, b3, chosen];
        for (var t = 0; t < taskRows.Count; t++)
        {
            var start = segments.Start(t);
            var n = segments.Length(t);
            var labels = taskLabels[t];
            for (var m = 0; m < methodScores.Length; m++)
            {
                var sc = methodScores[m].AsSpan(start, n).ToArray().Select(v => (double)v).ToArray();
                perMethod[m].Add(new TaskMetrics(
                    split.TestClasses[taskClass[t]], labels.Count(l => !l), labels.Count(l => l),
                    BinaryMetrics.Auroc(sc, labels), BinaryMetrics.AveragePrecision(sc, labels), BinaryMetrics.F1AtQuantile(sc, labels, pi), draw));
            }

            if (scoreRows is not null)
            {
                for (var i = 0; i < n; i++)
                {
                    var row = taskRows[t][i];
                    scoreRows.Add(new ScoreRow(seed, pi, split.TestClasses[taskClass[t]], row, classOf[row], labels[i], acr[start + i], b1[start + i], b2[start + i], b3[start + i],
                        chosen is null ? float.NaN : chosen[start + i], taskBatch[t]));
                }
            }
        }
    }
}
