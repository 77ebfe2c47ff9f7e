using System.CommandLine;
using System.Globalization;
using System.Text;
using Acr.Compute;
using Acr.Host.Composition;
using Acr.Host.Data;
using Acr.Host.Evaluation;
using Acr.Host.IO;
using Acr.Host.Models;
using Acr.Host.Preprocessing;
using Acr.Host.Scoring;
using Acr.Host.Training;
using Acr.Nn;
using Acr.Numerics;
using Spectre.Console;

namespace Acr.Host.Cli;

/// <summary>The acr sub-commands.</summary>
internal static class Commands
{
    private sealed class TrainingOptionSet
    {
        public Option<int> Iterations { get; }

        public Option<int> Tasks { get; } = CliOptions.Tasks();

        public Option<int> TaskSize { get; } = CliOptions.TaskSize();

        public Option<double> AnomalyRatio { get; } = CliOptions.AnomalyRatio();

        public Option<double> LearningRate { get; } = CliOptions.LearningRate();

        public Option<string> Detector { get; } = CliOptions.Detector();

        public Option<string[]> DetectorOption { get; } = CliOptions.DetectorOption();

        public TrainingOptionSet(Command command, int defaultIterations = 500)
        {
            Iterations = CliOptions.Iterations(defaultIterations);
            command.Add(Iterations);
            command.Add(Tasks);
            command.Add(TaskSize);
            command.Add(AnomalyRatio);
            command.Add(LearningRate);
            command.Add(Detector);
            command.Add(DetectorOption);
        }

        public MetaTrainingOptions Read(ParseResult p) => new()
        {
            Iterations = p.GetValue(Iterations),
            TasksPerIteration = p.GetValue(Tasks),
            TaskSize = p.GetValue(TaskSize),
            AnomalyRatio = p.GetValue(AnomalyRatio),
            Adam = new AdamOptions(LearningRate: (float)p.GetValue(LearningRate)),
        };

        public Dictionary<string, string> DetectorOptions(ParseResult p, ComponentRegistry registry) =>
            DetectorOptionResolver.Resolve(registry.GetDetector(p.GetValue(Detector)!), DetectorOptionResolver.ParsePairs(p.GetValue(DetectorOption)));
    }

    private sealed class BackendOptionSet
    {
        public Option<string> Backend { get; } = CliOptions.Backend();

        public Option<int?> Device { get; } = CliOptions.Device();

        public Option<int?> Threads { get; } = CliOptions.Threads();

        public BackendOptionSet(Command command)
        {
            command.Add(Backend);
            command.Add(Device);
            command.Add(Threads);
        }

        public ComputeBackend Create(CliContext c, ParseResult p) => c.CreateBackend(p, Backend, Device, Threads);
    }

    private sealed class DataOptionSet
    {
        public Option<string> Data { get; } = CliOptions.Data();

        public Option<string?> Label { get; }

        public Option<string?> Group { get; } = CliOptions.Group();

        public Option<string[]> Drop { get; } = CliOptions.Drop();

        public Option<string> Header { get; } = CliOptions.Header();

        public DataOptionSet(Command command, bool labelRequired)
        {
            Label = CliOptions.Label(labelRequired);
            command.Add(Data);
            command.Add(Label);
            command.Add(Group);
            command.Add(Drop);
            command.Add(Header);
        }

        public TabularDataset Read(ParseResult p) => CliContext.ReadCsv(p, Data, Label, Group, Drop, Header);
    }

    public static Command Demo(CliContext c)
    {
        var cmd = new Command("demo", "Zero-shot by class on the embedded UCI letter data: meta-train on letters A–M, score the unseen N–Z, compare ACR with B1 and B2.");
        var outDir = new Option<string>("--out") { Description = "Output folder for the model and reports.", DefaultValueFactory = _ => "acr-demo" };
        var seeds = new Option<int>("--seeds") { Description = "Number of seeds.", DefaultValueFactory = _ => 3 };
        var seed = CliOptions.Seed();
        var quiet = CliOptions.Quiet();
        cmd.Add(outDir);
        cmd.Add(seeds);
        cmd.Add(seed);
        cmd.Add(quiet);
        var training = new TrainingOptionSet(cmd);
        var backend = new BackendOptionSet(cmd);
        cmd.SetAction(p =>
        {
            var options = new ZeroShotProtocolOptions
            {
                Seeds = p.GetValue(seeds),
                BaseSeed = p.GetValue(seed),
                Training = training.Read(p),
                DetectorOptions = training.DetectorOptions(p, c.Registry),
            };
            options.Validate();
            var data = EmbeddedDatasets.Letter();
            using var b = backend.Create(c, p);
            return EvaluationRunner.Run(c, data, p.GetValue(training.Detector)!, options, b, p.GetValue(outDir)!, p.GetValue(quiet), "letter");
        });
        return cmd;
    }

    public static Command Evaluate(CliContext c)
    {
        var cmd = new Command("evaluate", "Run an evaluation protocol and write metrics.json, scores.csv, model.safetensors and ROC / precision-recall plots (SVG, per π) to --out.");
        var protocol = new Option<string>("--protocol") { Description = "Evaluation protocol.", DefaultValueFactory = _ => "zero-shot-by-class" };
        var outDir = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var seeds = new Option<int>("--seeds") { Description = "Number of seeds.", DefaultValueFactory = _ => 5 };
        var testDraws = new Option<int>("--test-draws")
        {
            Description = "Independent draws of the test tasks' anomalies per seed and π, averaged in the metrics (1 = the protocol as written; " +
                "more average out the luck of a single drawn anomaly at small π without retraining; scores.csv keeps the first draw).",
            DefaultValueFactory = _ => 1,
        };
        var seed = CliOptions.Seed();
        var quiet = CliOptions.Quiet();
        var contamination = CliOptions.Contamination();
        var trainClasses = CliOptions.TrainClasses();
        cmd.Add(protocol);
        cmd.Add(outDir);
        cmd.Add(seeds);
        cmd.Add(testDraws);
        cmd.Add(seed);
        cmd.Add(quiet);
        cmd.Add(contamination);
        cmd.Add(trainClasses);
        var data = new DataOptionSet(cmd, labelRequired: true);
        var training = new TrainingOptionSet(cmd);
        var backend = new BackendOptionSet(cmd);
        cmd.SetAction(p =>
        {
            var name = p.GetValue(protocol)!;
            if (!string.Equals(name, "zero-shot-by-class", StringComparison.OrdinalIgnoreCase))
            {
                throw new AcrUsageException($"Unknown protocol '{name}'. Available: zero-shot-by-class.");
            }

            var classes = CliOptions.SplitList(p.GetValue(trainClasses));
            var options = new ZeroShotProtocolOptions
            {
                Seeds = p.GetValue(seeds),
                TestDraws = p.GetValue(testDraws),
                BaseSeed = p.GetValue(seed),
                Contaminations = CliOptions.ParseContamination(p.GetValue(contamination)!),
                Training = training.Read(p),
                DetectorOptions = training.DetectorOptions(p, c.Registry),
                TrainClasses = classes.Length > 0 ? classes : null,
            };
            options.Validate();
            var table = data.Read(p);
            using var b = backend.Create(c, p);
            return EvaluationRunner.Run(c, table, p.GetValue(training.Detector)!, options, b, p.GetValue(outDir)!, p.GetValue(quiet), Path.GetFileName(table.Source));
        });
        return cmd;
    }

    public static Command Train(CliContext c)
    {
        var cmd = new Command("train", "Meta-train a detector on the distributions (classes of --label, or groups of --group) of a CSV file and save the model.");
        var outFile = new Option<string>("--out") { Description = "Model file to write (.safetensors).", Required = true };
        var seed = CliOptions.Seed();
        var quiet = CliOptions.Quiet();
        var trainClasses = CliOptions.TrainClasses();
        cmd.Add(outFile);
        cmd.Add(seed);
        cmd.Add(quiet);
        cmd.Add(trainClasses);
        var data = new DataOptionSet(cmd, labelRequired: false);
        var training = new TrainingOptionSet(cmd);
        var backend = new BackendOptionSet(cmd);
        cmd.SetAction(p =>
        {
            var path = p.GetValue(outFile)!;
            OutputPaths.CheckFile(path);
            var s = p.GetValue(seed);
            var trainingOptions = training.Read(p);
            try
            {
                trainingOptions.Validate();
            }
            catch (ArgumentException e)
            {
                throw new AcrUsageException(e.Message, e);
            }

            var detector = c.Registry.GetDetector(p.GetValue(training.Detector)!);
            var detectorOptions = training.DetectorOptions(p, c.Registry);
            var table = data.Read(p);
            var distributions = table.Groups ?? table.Labels
                ?? throw new AcrUsageException("Training needs to know each row's distribution: pass --label COLUMN (or --group COLUMN).");
            var wanted = CliOptions.SplitList(p.GetValue(trainClasses));
            var classes = distributions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var unknown = wanted.Where(w => !classes.Contains(w, StringComparer.Ordinal)).ToArray();
            if (unknown.Length > 0)
            {
                throw new AcrUsageException($"--train-classes: {string.Join(", ", unknown)} do not occur in the data; its distributions are {string.Join(", ", classes)}.");
            }

            var trainSet = wanted.Length > 0 ? wanted.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray() : classes;
            if (trainSet.Length < 2)
            {
                throw new AcrUsageException($"ACR meta-training needs at least 2 training distributions (each task takes its anomalies from the others); the data has {trainSet.Length} ({string.Join(", ", trainSet)}). Check --label/--group or --train-classes.");
            }

            var rowsByClass = trainSet.Select(cls => Enumerable.Range(0, table.Rows).Where(r => distributions[r] == cls).ToArray()).ToArray();
            var standardizer = Standardizer.Fit(table.Features, table.Columns, rowsByClass.SelectMany(r => r).ToArray());
            var x = standardizer.Transform(table.Features);
            using var b = backend.Create(c, p);
            using var model = DetectorOptionResolver.CreateModel(detector, new Acr.Detectors.DetectorModelSpec(table.Columns, detectorOptions, s), b);
            var sampler = TaskSampler.Create(x, table.Columns, rowsByClass, trainingOptions, SeededRandom.ForStream(s, 2));
            var losses = new TrainingDisplay(c.Console, p.GetValue(quiet)).Run("train", 1, trainingOptions.Iterations,
                report => new MetaTrainer(b).Train(model, sampler, trainingOptions, pr => report(0, pr), c.Cancellation));
            ModelStore.Save(path, model, new ModelConfig
            {
                Detector = detector.Name,
                DetectorOptions = detectorOptions,
                Seed = s,
                FeatureNames = table.FeatureNames,
                PreprocessingMean = standardizer.Mean,
                PreprocessingStd = standardizer.Std,
                TrainClasses = trainSet,
                Training = new TrainingRecord(trainingOptions.Iterations, trainingOptions.TasksPerIteration, trainingOptions.TaskSize,
                    trainingOptions.AnomalyRatio, trainingOptions.Adam.LearningRate, b.Name, table.Source),
            });
            c.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trained on {trainSet.Length} distributions ({table.Rows} rows, {table.Columns} features); {(losses.Length > 0 ? $"final loss {losses[^1]:G5}" : "the detector has no trainable parameters")}"));
            c.Console.WriteLine($"model: {path}");
            return 0;
        });
        return cmd;
    }

    public static Command Score(CliContext c)
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
            var bnMode = p.GetValue(mode)!.ToUpperInvariant() switch
            {
                "BATCH" => BatchNormMode.Batch,
                "RUNNING" => BatchNormMode.Running,
                var other => throw new AcrUsageException($"--mode must be batch or running; got '{other.ToLowerInvariant()}'."),
            };
            var size = p.GetValue(batchSize);
            if (size < 1 && p.GetValue(data.Group) is null)
            {
                throw new AcrUsageException($"--batch-size must be at least 1; got {size}.");
            }

            if (size < 2 && bnMode == BatchNormMode.Batch && p.GetValue(data.Group) is null)
            {
                throw new AcrUsageException($"--batch-size {size}: batch norm in batch mode centres each batch by its own mean and variance, which a batch of one row does not have. Use --batch-size 2 or more (e.g. 256).");
            }

            var table = data.Read(p);
            using var b = backend.Create(c, p);
            using var loaded = ModelStore.Load(p.GetValue(model)!, c.Registry, b);
            var features = loaded.Config.FeatureNames.Count;
            if (table.Columns != features)
            {
                throw new AcrUsageException(
                    $"The data has {table.Columns} feature columns ({Preview(table.FeatureNames)}) but the model was trained on {features} ({Preview(loaded.Config.FeatureNames)}). " +
                    "Leave out extra columns with --drop, and name the label column with --label so it is not read as a feature.");
            }

            var columns = MatchColumns(table.FeatureNames, loaded.Config.FeatureNames);
            var (order, segments, batchIds) = Batches(table, size, bnMode);
            var x = loaded.Standardizer.Transform(Reorder(table.Features, table.Columns, columns));
            var rows = new float[x.Length];
            for (var i = 0; i < order.Length; i++)
            {
                x.AsSpan(order[i] * features, features).CopyTo(rows.AsSpan(i * features, features));
            }

            using var scorer = new ZeroShotScorer(loaded.Model, b);
            var scores = scorer.Score(rows, segments, bnMode);
            var inv = CultureInfo.InvariantCulture;
            AtomicFile.Write(path, stream =>
            {
                using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                w.WriteLine(table.Labels is null ? "row,batch,score" : "row,batch,score,label");
                for (var i = 0; i < order.Length; i++)
                {
                    w.Write(order[i].ToString(inv));
                    w.Write(',');
                    w.Write(Reports.EvaluationReport.Csv(batchIds[i]));
                    w.Write(',');
                    w.Write(scores[i].ToString("R", inv));
                    if (table.Labels is not null)
                    {
                        w.Write(',');
                        w.Write(Reports.EvaluationReport.Csv(table.Labels[order[i]]));
                    }

                    w.WriteLine();
                }
            });
            c.Console.WriteLine($"scored {table.Rows} rows in {segments.Length} batch{(segments.Length == 1 ? "" : "es")} ({(bnMode == BatchNormMode.Batch ? "batch mode" : "running statistics")})");
            c.Console.WriteLine($"scores: {path}");
            return 0;
        });
        return cmd;
    }

    public static Command Devices(CliContext c)
    {
        var cmd = new Command("devices", "List every device each backend found, usable or not, and why.");
        cmd.SetAction(_ =>
        {
            foreach (var provider in c.Registry.Backends)
            {
                c.Console.WriteLine($"{provider.Name}: {provider.Description} (from {c.Registry.OwnerOf(provider.Name)})");
                if (provider.Devices.Count == 0)
                {
                    c.Console.WriteLine("  no device found");
                }

                foreach (var d in provider.Devices)
                {
                    c.Console.WriteLine($"  {d.Id}  {d.Name}  {(d.IsUsable ? "usable" : "NOT usable: " + d.Reason)}");
                    if (d.Properties.Count > 0)
                    {
                        c.Console.WriteLine("    " + string.Join(", ", d.Properties.Select(kv => $"{kv.Key}={kv.Value}")));
                    }
                }
            }

            if (c.Registry.Backends.Count == 0)
            {
                c.Console.WriteLine("No backend plugin loaded; run 'acr plugins' to see why.");
                return 2;
            }

            return 0;
        });
        return cmd;
    }

    private static (int[] Order, int[] Lengths, string[] BatchIds) Batches(TabularDataset table, int size, BatchNormMode mode)
    {
        if (table.Groups is { } groups)
        {
            var byGroup = Enumerable.Range(0, table.Rows).GroupBy(r => groups[r], StringComparer.Ordinal).ToArray();
            var small = byGroup.FirstOrDefault(g => g.Count() < 2);
            if (mode == BatchNormMode.Batch && small is not null)
            {
                throw new AcrUsageException($"Group '{small.Key}' has only one row; batch mode needs at least 2 rows per batch to have a mean and variance. Merge it with another group or score with --mode running.");
            }

            var order = byGroup.SelectMany(g => g).ToArray();
            var ids = byGroup.SelectMany(g => g.Select(_ => g.Key)).ToArray();
            return (order, byGroup.Select(g => g.Count()).ToArray(), ids);
        }

        if (table.Rows < 2 && mode == BatchNormMode.Batch)
        {
            throw new AcrUsageException("The data has one row; batch mode needs at least 2 rows in a batch to have a mean and variance.");
        }

        var lengths = new List<int>();
        for (var start = 0; start < table.Rows; start += size)
        {
            lengths.Add(Math.Min(size, table.Rows - start));
        }

        if (lengths.Count > 1 && lengths[^1] < 2)
        {
            lengths[^2] += lengths[^1];
            lengths.RemoveAt(lengths.Count - 1);
        }

        var batchIds = new string[table.Rows];
        var row = 0;
        for (var bIdx = 0; bIdx < lengths.Count; bIdx++)
        {
            for (var k = 0; k < lengths[bIdx]; k++)
            {
                batchIds[row++] = bIdx.ToString(CultureInfo.InvariantCulture);
            }
        }

        return (Enumerable.Range(0, table.Rows).ToArray(), [.. lengths], batchIds);
    }

    /// <summary>
    /// Which data column feeds each model feature. Headerless data (names col0, col1, …) is taken in
    /// order; named columns must be the model's, in any order.
    /// </summary>
    private static int[] MatchColumns(IReadOnlyList<string> data, IReadOnlyList<string> model)
    {
        var identity = Enumerable.Range(0, model.Count).ToArray();
        static bool Generated(IReadOnlyList<string> names) => names.Select((n, i) => n == $"col{i}").All(b => b);
        if (data.SequenceEqual(model, StringComparer.Ordinal) || Generated(data) || Generated(model))
        {
            return identity;
        }

        var index = data.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i, StringComparer.Ordinal);
        var missing = model.Where(n => !index.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
        {
            throw new AcrUsageException(
                $"The data's columns do not match the model's features: missing {string.Join(", ", missing)}; unexpected {string.Join(", ", data.Except(model, StringComparer.Ordinal))}. " +
                "Score data with the same feature columns the model was trained on (leave others out with --drop).");
        }

        return model.Select(n => index[n]).ToArray();
    }

    private static float[] Reorder(float[] features, int columns, int[] source)
    {
        if (source.Select((s, i) => s == i).All(b => b))
        {
            return features;
        }

        var rows = features.Length / columns;
        var result = new float[features.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < source.Length; j++)
            {
                result[(r * columns) + j] = features[(r * columns) + source[j]];
            }
        }

        return result;
    }

    private static string Preview(IReadOnlyList<string> names) =>
        names.Count <= 6 ? string.Join(", ", names) : string.Join(", ", names.Take(5)) + $", … {names[^1]}";
}
