using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Acr.Host.Cli;
using Acr.Host.Composition;
using Acr.Host.Models;
using Acr.Host.Training;

namespace Acr.Host.Evaluation;

/// <summary>Where an evaluation keeps its completed seeds, and whether it continues after them.</summary>
/// <param name="Directory">The folder for the per-seed files (created when the first seed completes).</param>
/// <param name="Resume">Continue after the seeds completed in <paramref name="Directory"/> by an interrupted run of the same evaluation.</param>
public sealed record EvaluationResume(string Directory, bool Resume)
{
    /// <summary>The folder name under an evaluation's output folder (<c>OUT/resume</c>).</summary>
    public const string FolderName = "resume";
}

/// <summary>
/// The completed seeds of a zero-shot evaluation, one <c>.safetensors</c> file per seed (<c>seed-K.safetensors</c>, K the
/// 0-based seed index), written atomically as each seed finishes so that a killed run loses no finished seed: its
/// <see cref="SeedResult"/> (JSON in the metadata, doubles written round-trip), its first-draw score rows (tensors
/// <c>scores.*</c>, row indices and class and π indices exact in F32), for the first seed also the model (tensors
/// <c>model/NAME</c>) that <c>model.safetensors</c> is written from, and the evaluation's fingerprint — its arguments and
/// a SHA-256 of the data — so that seeds of another evaluation are never mixed in. A resumed run loads these seeds instead
/// of training them again; as every seed's training and test tasks depend on that seed alone, its outputs equal an
/// uninterrupted run's.
/// </summary>
internal sealed class CompletedSeeds
{
    private const string FormatName = "acr-evaluation-seed";
    private const string ResultKey = "seed.result";
    private const string ValidationSecondsKey = "seed.validation-seconds";
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly string _directory;
    private readonly IReadOnlyDictionary<string, string> _fingerprint;
    private readonly IDetector _detector;
    private readonly IReadOnlyDictionary<string, string> _options;
    private readonly ComputeBackend _backend;
    private readonly int _columns;
    private readonly string[] _labels;
    private readonly ClassSplit _split;
    private readonly IReadOnlyList<double> _contaminations;
    private readonly bool _resume;
    private IReadOnlyList<string> _created = [];

    public CompletedSeeds(EvaluationResume resume, IDetector detector, ZeroShotProtocolOptions options, ComputeBackend backend, TabularDataset data, ClassSplit split)
    {
        _directory = resume.Directory;
        _resume = resume.Resume;
        _detector = detector;
        _options = options.DetectorOptions;
        _backend = backend;
        _columns = data.Columns;
        _labels = data.Labels!;
        _split = split;
        _contaminations = options.Contaminations;
        _fingerprint = Fingerprint(detector, options, backend, data, split);
        Check();
    }

    /// <summary>The per-seed files in <paramref name="directory"/>.</summary>
    public static string[] Files(string directory) =>
        System.IO.Directory.Exists(directory) ? System.IO.Directory.GetFiles(directory, "seed-*.safetensors") : [];

    /// <summary>The file of seed index <paramref name="index"/>.</summary>
    public string PathOf(int index) => Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"seed-{index}.safetensors"));

    /// <summary>Loads seed <paramref name="index"/> when a resumed run has it; null when it must be run.</summary>
    /// <param name="index">The 0-based seed index.</param>
    /// <param name="seed">The seed it runs with.</param>
    public (SeedResult Result, List<ScoreRow> Scores, DetectorModel? Model)? TryLoad(int index, ulong seed)
    {
        var path = PathOf(index);
        if (!_resume || !File.Exists(path))
        {
            return null;
        }

        var file = SafeTensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(ModelStore.FormatKey, out var format) || format != FormatName)
        {
            throw new ModelFormatException($"'{path}' is not a completed seed of an Acr evaluation; remove it, or choose another --out.");
        }

        TrainingCheckpoint.CheckFingerprint(path, file.Metadata, _fingerprint, $"remove '{_directory}' to run every seed afresh");
        SeedResult result;
        try
        {
            result = JsonSerializer.Deserialize<SeedResult>(file.Metadata[ResultKey], Json) ?? throw new JsonException("null result");
            if (result.Selection is { } selection && file.Metadata.TryGetValue(ValidationSecondsKey, out var seconds))
            {
                // The selection's wall time is left out of its JSON (model files stay bit-identical); metrics.json reports it.
                result = result with { Selection = selection with { Seconds = double.Parse(seconds, CultureInfo.InvariantCulture) } };
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or NotSupportedException)
        {
            throw Corrupt(path, $"its seed result is missing or not valid JSON ({e.Message})");
        }

        if (result.Seed != seed)
        {
            throw Corrupt(path, $"it holds the result of seed {result.Seed}, not of seed {seed}");
        }

        if (result.ByContamination is null || result.ByContamination.Count != _contaminations.Count)
        {
            throw Corrupt(path, "its seed result does not cover this run's contamination levels");
        }

        var pi = Ints(file, "scores.pi", path, _contaminations.Count);
        var cls = Ints(file, "scores.class", path, _split.TestClasses.Count);
        var row = Ints(file, "scores.row", path, _labels.Length);
        var anomaly = Ints(file, "scores.anomaly", path, 2);
        var acr = Floats(file, "scores.acr", path, pi.Length);
        var b1 = Floats(file, "scores.b1", path, pi.Length);
        var b2 = Floats(file, "scores.b2", path, pi.Length);
        var b3 = Floats(file, "scores.b3", path, pi.Length);
        var selected = Floats(file, "scores.selected", path, pi.Length);
        var batch = file.TryGetTensor("scores.batch", out _) ? Ints(file, "scores.batch", path, int.MaxValue) : null; // absent: one batch per class
        if ((batch is not null && batch.Length != pi.Length) || cls.Length != pi.Length || row.Length != pi.Length || anomaly.Length != pi.Length)
        {
            throw Corrupt(path, "its score tensors differ in length");
        }

        var scores = new List<ScoreRow>(pi.Length);
        for (var i = 0; i < pi.Length; i++)
        {
            scores.Add(new ScoreRow(result.Seed, _contaminations[pi[i]], _split.TestClasses[cls[i]], row[i], _labels[row[i]], anomaly[i] == 1, acr[i], b1[i], b2[i], b3[i], selected[i],
                batch is null ? -1 : batch[i] - 1));
        }

        DetectorModel? model = null;
        if (index == 0)
        {
            model = DetectorOptionResolver.CreateModel(_detector, new DetectorModelSpec(_columns, _options, result.Seed), _backend);
            try
            {
                foreach (var s in model.State())
                {
                    if (!file.TryGetTensor("model/" + s.Name, out var t) || !t.Shape.AsSpan().SequenceEqual(s.Tensor.Shape.ToArray()))
                    {
                        throw Corrupt(path, $"its model tensor '{s.Name}' is missing or has another shape");
                    }

                    _backend.Upload(t.Data, s.Tensor);
                }
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }

        return (result, scores, model);
    }

    /// <summary>Saves seed <paramref name="index"/> (its score rows, and the model for the first seed), atomically.</summary>
    public void Save(int index, SeedResult result, IReadOnlyList<ScoreRow> scores, DetectorModel? model)
    {
        if (!System.IO.Directory.Exists(_directory))
        {
            _created = OutputPaths.CreateDirectory(_directory);
        }

        var piIndex = _contaminations.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        var classIndex = _split.TestClasses.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var n = scores.Count;
        float[] pi = new float[n], cls = new float[n], row = new float[n], anomaly = new float[n], acr = new float[n], b1 = new float[n], b2 = new float[n],
            b3 = new float[n], selected = new float[n], batch = new float[n];
        for (var i = 0; i < n; i++)
        {
            var s = scores[i];
            if (s.Row >= TrainingCheckpoint.MaxRows)
            {
                throw new AcrUsageException($"An evaluation keeps its completed seeds for --resume only for data of up to {TrainingCheckpoint.MaxRows} rows; this one has more.");
            }

            (pi[i], cls[i], row[i], anomaly[i], acr[i], b1[i], b2[i], b3[i], selected[i]) =
                (piIndex[s.Contamination], classIndex[s.TestClass], s.Row, s.IsAnomaly ? 1 : 0, s.Acr, s.B1, s.B2, s.B3, s.Selected);
            batch[i] = s.Batch + 1; // stored shifted by one: -1 (the whole class) becomes 0, so every value is a non-negative index
        }

        var metadata = new Dictionary<string, string>(_fingerprint, StringComparer.Ordinal)
        {
            [ModelStore.FormatKey] = FormatName,
            [ResultKey] = JsonSerializer.Serialize(result, Json),
        };
        if (result.Selection is { } selection)
        {
            metadata[ValidationSecondsKey] = selection.Seconds.ToString("R", CultureInfo.InvariantCulture);
        }

        var tensors = new List<(string Name, int[] Shape, ReadOnlyMemory<float> Data)>
        {
            ("scores.pi", [n], pi), ("scores.class", [n], cls), ("scores.row", [n], row), ("scores.anomaly", [n], anomaly),
            ("scores.acr", [n], acr), ("scores.b1", [n], b1), ("scores.b2", [n], b2), ("scores.b3", [n], b3), ("scores.selected", [n], selected),
            ("scores.batch", [n], batch),
        };
        if (model is not null)
        {
            tensors.AddRange(model.State().Select(s => ("model/" + s.Name, s.Tensor.Shape.ToArray(), (ReadOnlyMemory<float>)s.Tensor.ToArray())));
        }

        SafeTensorsWriter.Write(PathOf(index), metadata, tensors);
    }

    /// <summary>After the outputs were written: deletes the per-seed files in <paramref name="directory"/> and the folder, when nothing else is in it.</summary>
    public static void Delete(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return;
        }

        foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
        {
            var seedFile = file.Name.StartsWith("seed-", StringComparison.Ordinal) && file.Name.EndsWith(".safetensors", StringComparison.Ordinal);
            var leftover = file.Name.StartsWith(".seed-", StringComparison.Ordinal) && file.Name.EndsWith(".tmp", StringComparison.Ordinal);
            if (file.LinkTarget is null && (seedFile || leftover))
            {
                file.Delete();
            }
        }

        OutputPaths.RemoveCreated([Path.GetFullPath(directory)]);
    }

    /// <summary>After a failure: removes the folders <see cref="Save"/> created, where they stayed empty.</summary>
    public void RemoveCreatedIfEmpty() => OutputPaths.RemoveCreated(_created);

    /// <summary>Refuses up front a folder whose seeds would be lost (no --resume) or that has none to resume.</summary>
    private void Check()
    {
        var files = Files(_directory);
        if (!_resume && files.Length > 0)
        {
            throw new AcrUsageException($"'{_directory}' holds {files.Length} completed seed(s) of an interrupted evaluation; pass --resume to continue it, or delete that folder to start afresh.");
        }

        if (_resume && files.Length == 0)
        {
            throw new AcrUsageException($"--resume: '{_directory}' holds no completed seed to continue from (the evaluation was stopped before its first seed finished, or finished already); run without --resume.");
        }
    }

    private static SortedDictionary<string, string> Fingerprint(IDetector detector, ZeroShotProtocolOptions options, ComputeBackend backend, TabularDataset data, ClassSplit split)
    {
        var inv = CultureInfo.InvariantCulture;
        var adam = options.Training.Adam;
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["run.--detector"] = detector.Name,
            ["run.--option"] = string.Join(",", options.DetectorOptions.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}")),
            ["run.--seed"] = options.BaseSeed.ToString(inv),
            ["run.--seeds"] = options.Seeds.ToString(inv),
            ["run.--test-draws"] = options.TestDraws.ToString(inv),
            ["run.--test-batch-normals"] = options.TestBatchNormals?.ToString(inv) ?? "",
            ["run.--contamination"] = string.Join(",", options.Contaminations.Select(p => p.ToString("R", inv))),
            ["run.--train-classes"] = string.Join(",", split.TrainClasses),
            ["run.--iterations"] = options.Training.Iterations.ToString(inv),
            ["run.--tasks"] = options.Training.TasksPerIteration.ToString(inv),
            ["run.--task-size"] = options.Training.TaskSize.ToString(inv),
            ["run.--anomaly-ratio"] = options.Training.AnomalyRatio.ToString("R", inv),
            ["run.--lr"] = adam.LearningRate.ToString("R", inv),
            ["run.adam"] = string.Create(inv, $"beta1={adam.Beta1:R},beta2={adam.Beta2:R},eps={adam.Epsilon:R},weight-decay={adam.WeightDecay:R}"),
            ["run.--backend"] = backend.Name,
            ["run.--recipe"] = options.Recipe.ToString(),
            ["run.validation"] = JsonSerializer.Serialize(options.Validation, Json),
            ["run.rows"] = data.Rows.ToString(inv),
            ["run.features"] = data.Columns.ToString(inv),
        };
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes(data.Features.AsSpan()));
        foreach (var label in data.Labels!)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(label));
            sha.AppendData([0]);
        }

        fields[TrainingCheckpoint.DataDigestKey] = Convert.ToHexStringLower(sha.GetHashAndReset());
        return fields;
    }

    private static int[] Ints(SafeTensorsFile file, string name, string path, int bound)
    {
        if (!file.TryGetTensor(name, out var t))
        {
            throw Corrupt(path, $"tensor '{name}' is missing");
        }

        var values = new int[t.Data.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = t.Data[i];
            if (!(v >= 0 && v < bound) || v != MathF.Floor(v))
            {
                throw Corrupt(path, $"tensor '{name}' holds {v.ToString(CultureInfo.InvariantCulture)} at element {i}, outside [0, {bound})");
            }

            values[i] = (int)v;
        }

        return values;
    }

    private static float[] Floats(SafeTensorsFile file, string name, string path, int length) =>
        file.TryGetTensor(name, out var t) && t.Data.Length == length ? t.Data : throw Corrupt(path, $"tensor '{name}' is missing or of another length");

    private static ModelFormatException Corrupt(string path, string problem) =>
        new($"'{path}' is not a usable completed seed: {problem}. Delete it to run that seed again.");
}
