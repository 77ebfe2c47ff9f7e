using Acr.Host.Composition;
using Acr.Host.Evaluation;
using Acr.Host.Training;

namespace Acr.Host.Cli;

/// <summary>'acr evaluate': an evaluation protocol on a labelled CSV file.</summary>
internal sealed class EvaluateCommand : CliCommand
{
    private readonly Option<string> _protocol = new("--protocol")
    {
        Description = "Evaluation protocol: zero-shot-by-class (tabular: training tasks with 20% anomalies, one test batch per test class) or image " +
            "(the same split with the image protocol's settings, each unless given: --task-size 60 --anomaly-ratio 0.5 --test-batch-normals 100, and the " +
            "detector's convolutional network: --option network=conv, 4 blocks of 64 channels).",
        DefaultValueFactory = _ => "zero-shot-by-class",
    };
    private readonly Option<string> _outDir = new("--out") { Description = "Output folder.", Required = true };
    private readonly Option<int> _seeds = new("--seeds") { Description = "Number of seeds.", DefaultValueFactory = _ => 5 };
    private readonly Option<int> _testDraws = new("--test-draws")
    {
        Description = "Independent draws of the test tasks' anomalies per seed and π, averaged in the metrics (1 = the protocol as written; " +
            "more average out the luck of a single drawn anomaly at small π without retraining; scores.csv keeps the first draw).",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<bool> _resume = new("--resume")
    {
        Description = "Continue an interrupted evaluation in the same --out folder: the seeds it completed (kept in OUT/resume until the outputs are written) are loaded, not run again; the outputs equal an uninterrupted run's.",
    };

    private readonly Option<int?> _testBatchNormals = new("--test-batch-normals")
    {
        Description = "Normal rows per test batch: each draw cuts a test class into batches of N normals, each with its own π share of anomalies (the image protocol: 100). Default: one batch per test class, all its rows.",
    };

    private readonly Option<string> _recipe = RecipeOption.Create();
    private readonly Option<ulong> _seed = CliOptions.Seed();
    private readonly Option<bool> _quiet = CliOptions.Quiet();
    private readonly Option<string> _contamination = CliOptions.Contamination();
    private readonly Option<string[]> _trainClasses = CliOptions.TrainClasses(CliOptions.EvaluateDefaultClasses);
    private readonly DataOptionSet _data = new(labelRequired: true, categorical: true);
    private readonly TrainingOptionSet _training = new();
    private readonly BackendOptionSet _backend = new();

    public EvaluateCommand(CliContext context)
        : base(context, "evaluate", "Run an evaluation protocol and write metrics.json, scores.csv, model.safetensors and ROC / precision-recall plots (SVG, per π) to --out.")
    {
        Add([_protocol, _outDir, _seeds, _testDraws, _testBatchNormals, _recipe, _resume, _seed, _quiet, _contamination, _trainClasses, .. _data, .. _training, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var name = parse.GetValue(_protocol)!;
        var image = string.Equals(name, "image", StringComparison.OrdinalIgnoreCase);
        if (!image && !string.Equals(name, "zero-shot-by-class", StringComparison.OrdinalIgnoreCase))
        {
            throw new AcrUsageException($"Unknown protocol '{name}'. Available: zero-shot-by-class, image.");
        }

        var classes = CliOptions.SplitList(parse.GetValue(_trainClasses));
        var options = new ZeroShotProtocolOptions
        {
            Seeds = parse.GetValue(_seeds),
            TestDraws = parse.GetValue(_testDraws),
            TestBatchNormals = parse.GetValue(_testBatchNormals) ?? (image ? 100 : null),
            BaseSeed = parse.GetValue(_seed),
            Contaminations = CliOptions.ParseContamination(parse.GetValue(_contamination)!),
            Training = image ? ImageTraining(parse) : _training.Read(parse),
            DetectorOptions = _training.DetectorOptions(parse, Context.Registry),
            TrainClasses = classes.Length > 0 ? classes : null,
            Recipe = RecipeOption.Parse(parse.GetValue(_recipe)),
        };
        options.Validate();
        var table = _data.Read(Context, parse, trainingDistributions: all => ClassSplit.TrainClassesOf(all, options.TrainClasses));
        if (image && table.ImageShape is null)
        {
            throw new AcrUsageException($"--protocol image needs image data (an IDX image set such as mnist:test, or a folder of images with one sub-folder per class); '{table.Source}' is tabular: use --protocol zero-shot-by-class.");
        }

        if (table.ImageShape is not null)
        {
            var detector = Context.Registry.GetDetector(_training.DetectorName(parse));
            var user = _training.UserDetectorOptions(parse);
            if (image)
            {
                user = ImageNetwork(detector, user);
            }

            options = options with { DetectorOptions = DetectorOptionResolver.Resolve(detector, user, table.ImageShape) };
        }

        using var b = _backend.Create(Context, parse);
        return EvaluationRunner.Run(Context, table, _training.DetectorName(parse), options, b, parse.GetValue(_outDir)!, parse.GetValue(_quiet), Path.GetFileName(table.Source), parse.GetValue(_resume),
            ("--data", parse.GetValue(_data.Data)!));
    }

    /// <summary>The training settings with the image protocol's task size (60) and anomaly share (0.5) where not given.</summary>
    private MetaTrainingOptions ImageTraining(ParseResult parse)
    {
        var training = _training.Read(parse);
        return training with
        {
            TaskSize = parse.GetResult(_training.TaskSize) is { Implicit: false } ? training.TaskSize : 60,
            AnomalyRatio = parse.GetResult(_training.AnomalyRatio) is { Implicit: false } ? training.AnomalyRatio : 0.5,
        };
    }

    /// <summary>
    /// The image protocol's network where the user chose none: network=conv, and for the built-in detectors the protocol's
    /// 4 blocks of 64 channels (Deep SVDD: layers, hidden; NTL: encoder-layers, encoder-hidden), each only if the detector has it.
    /// </summary>
    private static Dictionary<string, string> ImageNetwork(IDetector detector, Dictionary<string, string> user)
    {
        var names = detector.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var result = new Dictionary<string, string>(user, StringComparer.Ordinal);
        foreach (var (key, value) in (ReadOnlySpan<(string, string)>)[("network", "conv"), ("layers", "4"), ("hidden", "64"), ("encoder-layers", "4"), ("encoder-hidden", "64")])
        {
            if (names.Contains(key))
            {
                result.TryAdd(key, value);
            }
        }

        return result;
    }
}
