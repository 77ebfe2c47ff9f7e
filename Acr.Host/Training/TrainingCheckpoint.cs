using System.Security.Cryptography;
using System.Runtime.InteropServices;
using Acr.Host.IO;
using Acr.Host.Models;
using Acr.Nn;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Host.Training;

/// <summary>Where and how often a meta-training run saves checkpoints, and whether it continues from one.</summary>
public sealed record TrainingCheckpointOptions
{
    /// <summary>The checkpoint file (one file, replaced atomically at every checkpoint).</summary>
    public required string Path { get; init; }

    /// <summary>Iterations between two checkpoints; 0 writes none (a resumed run then keeps the interval of the checkpoint it resumes).</summary>
    public int Every { get; init; }

    /// <summary>Continue from the checkpoint at <see cref="Path"/> instead of starting afresh.</summary>
    public bool Resume { get; init; }

    /// <summary>Called after each checkpoint has been written with the iterations it holds and how long writing it took (downloading the state included), or null.</summary>
    public Action<int, TimeSpan>? Written { get; init; }

    /// <summary>Called with the iterations the checkpoint had completed when a run resumes from it, or null.</summary>
    public Action<int>? Resumed { get; init; }

    /// <summary>The default checkpoint of a model written to <paramref name="modelPath"/>: the same path with <c>.ckpt</c> appended.</summary>
    /// <param name="modelPath">The model file the run writes.</param>
    public static string DefaultPath(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return modelPath + ".ckpt";
    }
}

/// <summary>
/// The checkpoint of a meta-training run, one <c>.safetensors</c> file holding everything that determines the rest of
/// the run, so that resuming from it gives the bit-identical model of an uninterrupted run:
/// <list type="bullet">
/// <item>tensors <c>model/NAME</c>: every parameter and buffer of the model (weights, batch-norm running statistics);</item>
/// <item>tensors <c>adam.m/NAME</c>, <c>adam.v/NAME</c>: Adam's moments per parameter, with the step counts in the metadata;</item>
/// <item>tensors <c>sampler.class.K</c>, <c>sampler.all</c>: the task sampler's current row orders (row indices, exact in F32
/// up to 2^24 rows), with its random generator's xoshiro256** words and cached normal deviate in the metadata;</item>
/// <item>tensor <c>losses</c>: the loss of every iteration so far (the history divergence detection reads; the losses are F32 on the device, so F32 is exact);</item>
/// <item>metadata <c>iteration</c>: iterations completed; <c>run.*</c>: the run's fingerprint — every argument that shapes the
/// model and a SHA-256 of the preprocessed training rows and their classes — compared field by field on resume.</item>
/// </list>
/// A checkpoint is written between iterations, after the losses recorded on the device were read, by temp file and rename,
/// so a run killed at any moment leaves either the previous checkpoint or the new one.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Metadata value of <c>format</c> in a checkpoint.</summary>
    public const string FormatName = "acr-checkpoint";

    /// <summary>The checkpoint format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Most training rows a checkpoint can hold: row indices are stored as F32, exact up to 2^24.</summary>
    public const int MaxRows = 1 << 24;

    private const string RunPrefix = "run.";

    /// <summary>The fingerprint field holding the SHA-256 of the data.</summary>
    internal const string DataDigestKey = RunPrefix + "data";

    /// <summary>
    /// The fingerprint of a run: the arguments that determine its model, as the options that set them, and a SHA-256 of
    /// the preprocessed rows and the training distributions' row indices. The loss-read interval and thread count are left out: they do not change the model.
    /// </summary>
    /// <param name="detector">The detector's name.</param>
    /// <param name="options">Its resolved options.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="training">The schedule.</param>
    /// <param name="backend">Where it runs.</param>
    /// <param name="features">Preprocessed row-major features.</param>
    /// <param name="columns">Features per row.</param>
    /// <param name="rowsByClass">Row indices of each training distribution.</param>
    public static IReadOnlyDictionary<string, string> Fingerprint(string detector, IReadOnlyDictionary<string, string> options, ulong seed,
        MetaTrainingOptions training, ComputeBackend backend, ReadOnlySpan<float> features, int columns, IReadOnlyList<int[]> rowsByClass)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(rowsByClass);
        var inv = CultureInfo.InvariantCulture;
        var adam = training.Adam;
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [RunPrefix + "--detector"] = detector,
            [RunPrefix + "--option"] = string.Join(",", options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}")),
            [RunPrefix + "--seed"] = seed.ToString(inv),
            [RunPrefix + "--iterations"] = training.Iterations.ToString(inv),
            [RunPrefix + "--tasks"] = training.TasksPerIteration.ToString(inv),
            [RunPrefix + "--task-size"] = training.TaskSize.ToString(inv),
            [RunPrefix + "--anomaly-ratio"] = training.AnomalyRatio.ToString("R", inv),
            [RunPrefix + "--lr"] = adam.LearningRate.ToString("R", inv),
            [RunPrefix + "adam"] = string.Create(inv, $"beta1={adam.Beta1:R},beta2={adam.Beta2:R},eps={adam.Epsilon:R},weight-decay={adam.WeightDecay:R}"),
            [RunPrefix + "--backend"] = backend.Name,
            [RunPrefix + "features"] = columns.ToString(inv),
            [RunPrefix + "training rows"] = rowsByClass.Sum(r => (long)r.Length).ToString(inv),
            [RunPrefix + "training distributions"] = rowsByClass.Count.ToString(inv),
        };
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes(features));
        Span<byte> number = stackalloc byte[sizeof(int)];
        foreach (var rows in rowsByClass)
        {
            BitConverter.TryWriteBytes(number, rows.Length);
            sha.AppendData(number);
            sha.AppendData(MemoryMarshal.AsBytes(rows.AsSpan()));
        }

        fields[DataDigestKey] = Convert.ToHexStringLower(sha.GetHashAndReset());
        return fields;
    }

    /// <summary>Writes the checkpoint of <paramref name="session"/> after <paramref name="iteration"/> iterations, atomically.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="session">The run, with no loss left unread on the device.</param>
    /// <param name="iteration">Iterations completed.</param>
    /// <param name="every">The run's checkpoint interval (recorded, so a resumed run can keep it).</param>
    /// <param name="losses">The loss of every completed iteration.</param>
    /// <param name="fingerprint">The run's <see cref="Fingerprint"/>.</param>
    public static void Write(string path, MetaTrainingSession session, int iteration, int every, ReadOnlySpan<double> losses, IReadOnlyDictionary<string, string> fingerprint)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(fingerprint);
        if (session.PendingLosses != 0)
        {
            throw new InvalidOperationException("Read the losses recorded on the device before writing a checkpoint.");
        }

        if (losses.Length != iteration)
        {
            throw new ArgumentException($"A checkpoint after {iteration} iterations needs {iteration} losses; got {losses.Length}.", nameof(losses));
        }

        var inv = CultureInfo.InvariantCulture;
        var adam = session.Optimizer;
        var sampler = session.Sampler.CaptureState();
        var rng = sampler.Random;
        var parameterNames = ParameterNames(session.Model);
        var metadata = new Dictionary<string, string>(fingerprint, StringComparer.Ordinal)
        {
            [ModelStore.FormatKey] = FormatName,
            ["version"] = FormatVersion.ToString(inv),
            ["iteration"] = iteration.ToString(inv),
            ["checkpoint-every"] = every.ToString(inv),
            ["adam.step"] = adam.StepCount.ToString(inv),
            ["adam.parameter-steps"] = string.Join(",", adam.ParameterSteps.Select(s => s.ToString(inv))),
            ["rng"] = string.Join(",", new[] { rng.S0, rng.S1, rng.S2, rng.S3 }.Select(w => w.ToString("x16", inv))),
            ["rng.spare-normal"] = rng.SpareNormal is { } spare ? BitConverter.DoubleToUInt64Bits(spare).ToString("x16", inv) : "none",
        };
        var tensors = new List<(string Name, int[] Shape, ReadOnlyMemory<float> Data)>();
        foreach (var s in session.Model.State())
        {
            tensors.Add(("model/" + s.Name, s.Tensor.Shape.ToArray(), s.Tensor.ToArray()));
        }

        for (var i = 0; i < parameterNames.Length; i++)
        {
            tensors.Add(("adam.m/" + parameterNames[i], adam.FirstMoments[i].Shape.ToArray(), adam.FirstMoments[i].ToArray()));
            tensors.Add(("adam.v/" + parameterNames[i], adam.SecondMoments[i].Shape.ToArray(), adam.SecondMoments[i].ToArray()));
        }

        for (var c = 0; c < sampler.ClassRows.Count; c++)
        {
            tensors.Add(($"sampler.class.{c}", [sampler.ClassRows[c].Length], RowsAsFloats(sampler.ClassRows[c])));
        }

        tensors.Add(("sampler.all", [sampler.AllRows.Length], RowsAsFloats(sampler.AllRows)));
        var lossValues = new float[losses.Length];
        for (var i = 0; i < losses.Length; i++)
        {
            lossValues[i] = (float)losses[i];
            if (lossValues[i] != losses[i])
            {
                throw new ArgumentException($"Loss {i + 1} ({losses[i]}) is not an F32 value; the losses come from the device as F32.", nameof(losses));
            }
        }

        tensors.Add(("losses", [lossValues.Length], lossValues));
        SafeTensorsWriter.Write(path, metadata, tensors);
        RemoveStaleTemporaries(path);
    }

    /// <summary>
    /// Restores <paramref name="session"/> from the checkpoint at <paramref name="path"/> and returns the iterations it had
    /// completed and their losses, after checking that the checkpoint belongs to this run.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="session">A fresh session of the same run (same data, model and settings).</param>
    /// <param name="fingerprint">This run's <see cref="Fingerprint"/>.</param>
    /// <param name="every">The checkpoint interval recorded in the file.</param>
    /// <exception cref="AcrUsageException">There is no checkpoint, or it belongs to another run (the message names each argument that differs).</exception>
    /// <exception cref="ModelFormatException">The file is not a valid checkpoint.</exception>
    public static double[] Restore(string path, MetaTrainingSession session, IReadOnlyDictionary<string, string> fingerprint, out int every)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(fingerprint);
        if (!File.Exists(path))
        {
            throw new AcrUsageException($"--resume: there is no checkpoint at '{path}' (a run writes one with --checkpoint-every N); run without --resume to start afresh.");
        }

        var file = SafeTensorsFile.Read(path);
        var meta = file.Metadata;
        if (!meta.TryGetValue(ModelStore.FormatKey, out var format) || format != FormatName)
        {
            throw new ModelFormatException($"'{path}' is not an Acr training checkpoint (its metadata has no 'format: {FormatName}'); pass the checkpoint a run wrote with --checkpoint-every.");
        }

        if (Text(meta, "version", path) != FormatVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw new ModelFormatException($"'{path}' is a checkpoint of format version {meta["version"]}; this Acr {ModelStore.AcrVersion} reads version {FormatVersion}. Finish the run with the Acr that started it, or start afresh.");
        }

        CheckFingerprint(path, meta, fingerprint, "delete the checkpoint to start afresh");
        var iterations = int.Parse(fingerprint[RunPrefix + "--iterations"], CultureInfo.InvariantCulture);
        var iteration = Integer(meta, "iteration", path, 1, iterations - 1);
        every = Integer(meta, "checkpoint-every", path, 0, MetaTrainingOptions.MaxIterations);
        var stepCount = Integer(meta, "adam.step", path, 0, int.MaxValue);
        if (stepCount != iteration)
        {
            throw Corrupt(path, $"Adam took {stepCount} steps but {iteration} iterations are recorded");
        }

        var model = session.Model;
        var state = model.State();
        var expected = state.Select(s => "model/" + s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var s in state)
        {
            Upload(file, "model/" + s.Name, s.Tensor, path);
        }

        var parameterNames = ParameterNames(model);
        var adam = session.Optimizer;
        for (var i = 0; i < parameterNames.Length; i++)
        {
            expected.Add("adam.m/" + parameterNames[i]);
            expected.Add("adam.v/" + parameterNames[i]);
            Upload(file, "adam.m/" + parameterNames[i], adam.FirstMoments[i], path);
            Upload(file, "adam.v/" + parameterNames[i], adam.SecondMoments[i], path);
        }

        var parameterSteps = Text(meta, "adam.parameter-steps", path).Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw Corrupt(path, $"adam.parameter-steps holds '{s}'"))
            .ToArray();
        try
        {
            adam.RestoreSteps(stepCount, parameterSteps);
        }
        catch (ArgumentException e)
        {
            throw Corrupt(path, e.Message);
        }

        var classes = session.Sampler.CaptureState().ClassRows.Count;
        var classRows = new int[classes][];
        for (var c = 0; c < classes; c++)
        {
            expected.Add($"sampler.class.{c}");
            classRows[c] = Rows(file, $"sampler.class.{c}", path);
        }

        expected.Add("sampler.all");
        expected.Add("losses");
        var extra = file.Tensors.Where(t => !expected.Contains(t.Name)).Select(t => t.Name).ToArray();
        if (extra.Length > 0)
        {
            throw Corrupt(path, $"it holds tensors this run does not have: {string.Join(", ", extra)}");
        }

        var words = Text(meta, "rng", path).Split(',');
        if (words.Length != 4 || words.Any(w => !ulong.TryParse(w, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _)))
        {
            throw Corrupt(path, "the random generator state 'rng' is not four hexadecimal words");
        }

        var w = words.Select(x => ulong.Parse(x, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)).ToArray();
        var spareText = Text(meta, "rng.spare-normal", path);
        double? spare = spareText == "none"
            ? null
            : ulong.TryParse(spareText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits) ? BitConverter.UInt64BitsToDouble(bits) : throw Corrupt(path, "rng.spare-normal is not 'none' or a hexadecimal word");
        try
        {
            session.Sampler.RestoreState(new TaskSamplerState(classRows, Rows(file, "sampler.all", path), new SeededRandomState(w[0], w[1], w[2], w[3], spare)));
        }
        catch (ArgumentException e)
        {
            throw Corrupt(path, e.Message);
        }

        var losses = file["losses"];
        if (losses.Data.Length != iteration)
        {
            throw Corrupt(path, $"it records {losses.Data.Length} losses for {iteration} iterations");
        }

        return [.. losses.Data.Select(v => (double)v)];
    }

    /// <summary>Deletes the checkpoint at <paramref name="path"/> (after the run's model was saved) and any temporary file an interrupted write left beside it.</summary>
    /// <param name="path">The checkpoint file.</param>
    public static void Delete(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.Delete(path);
        RemoveStaleTemporaries(path);
    }

    /// <summary>Throws when <paramref name="rows"/> training rows are more than a checkpoint can hold (see <see cref="MaxRows"/>).</summary>
    /// <param name="rows">Rows of the training matrix.</param>
    public static void CheckSize(int rows)
    {
        if (rows > MaxRows)
        {
            throw new AcrUsageException($"--checkpoint-every: a checkpoint holds at most {MaxRows} training rows (row indices are stored as F32); this run has {rows}. Train without checkpoints, or on fewer rows (--train-classes).");
        }
    }

    /// <summary>
    /// Refuses a saved file (<paramref name="path"/>, its <paramref name="meta"/>) whose run fingerprint differs from
    /// <paramref name="fingerprint"/>, naming every argument that differs; <paramref name="fresh"/> says how to start afresh.
    /// </summary>
    internal static void CheckFingerprint(string path, IReadOnlyDictionary<string, string> meta, IReadOnlyDictionary<string, string> fingerprint, string fresh)
    {
        var differences = new List<string>();
        foreach (var (key, now) in fingerprint)
        {
            var name = key[RunPrefix.Length..];
            if (!meta.TryGetValue(key, out var then))
            {
                differences.Add($"{name} is not recorded in the checkpoint");
            }
            else if (then != now)
            {
                differences.Add(key == DataDigestKey
                    ? "the data differ (another file, other contents, or another --label/--group/--train-classes)"
                    : $"{name} is {Show(now)} here but {Show(then)} in the checkpoint");
            }
        }

        var unknown = meta.Keys.Where(k => k.StartsWith(RunPrefix, StringComparison.Ordinal) && !fingerprint.ContainsKey(k)).ToArray();
        differences.AddRange(unknown.Select(k => $"{k[RunPrefix.Length..]} is recorded in the checkpoint but not part of this run"));
        if (differences.Count > 0)
        {
            throw new AcrUsageException($"--resume: '{path}' belongs to a different run: {string.Join("; ", differences)}. Resume with the arguments and data that started it, or {fresh}.");
        }

        static string Show(string value) => value.Length == 0 ? "(none)" : $"'{value}'";
    }

    private static string[] ParameterNames(DetectorModel model) =>
        [.. model.State().Where(s => s.Parameter is not null).Select(s => s.Name)];

    private static float[] RowsAsFloats(int[] rows)
    {
        var values = new float[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i] >= MaxRows)
            {
                throw new InvalidOperationException($"Row index {rows[i]} is beyond the {MaxRows} rows a checkpoint holds exactly.");
            }

            values[i] = rows[i];
        }

        return values;
    }

    private static int[] Rows(SafeTensorsFile file, string name, string path)
    {
        if (!file.TryGetTensor(name, out var t))
        {
            throw Corrupt(path, $"tensor '{name}' is missing");
        }

        var rows = new int[t.Data.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var v = t.Data[i];
            if (!(v >= 0 && v < MaxRows) || v != MathF.Floor(v))
            {
                throw Corrupt(path, $"tensor '{name}' holds {v.ToString(CultureInfo.InvariantCulture)} at element {i}, not a row index");
            }

            rows[i] = (int)v;
        }

        return rows;
    }

    private static void Upload(SafeTensorsFile file, string name, Tensor destination, string path)
    {
        if (!file.TryGetTensor(name, out var t))
        {
            throw Corrupt(path, $"tensor '{name}' is missing");
        }

        if (!t.Shape.AsSpan().SequenceEqual(destination.Shape.ToArray()))
        {
            throw Corrupt(path, $"tensor '{name}' has shape [{string.Join(", ", t.Shape)}] but this run's is {destination.Shape}");
        }

        var bad = Array.FindIndex(t.Data, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw Corrupt(path, $"tensor '{name}' holds a non-finite value at element {bad}");
        }

        destination.Backend.Upload(t.Data, destination);
    }

    private static string Text(IReadOnlyDictionary<string, string> meta, string key, string path) =>
        meta.TryGetValue(key, out var value) ? value : throw Corrupt(path, $"its metadata has no '{key}'");

    private static int Integer(IReadOnlyDictionary<string, string> meta, string key, string path, int min, int max) =>
        int.TryParse(Text(meta, key, path), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw Corrupt(path, $"'{key}' is '{meta[key]}', not an integer in [{min}, {max}]");

    private static ModelFormatException Corrupt(string path, string problem) =>
        new($"'{path}' is not a usable training checkpoint: {problem}. The file is corrupted or from another run; delete it to start afresh.");

    /// <summary>Removes temporary files (<c>.NAME.*.tmp</c>, see <see cref="AtomicFile"/>) that a write killed mid-way left beside <paramref name="path"/>.</summary>
    private static void RemoveStaleTemporaries(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory))
        {
            return;
        }

        foreach (var temp in new DirectoryInfo(directory).EnumerateFiles($".{System.IO.Path.GetFileName(full)}.*.tmp"))
        {
            if (temp.LinkTarget is null)
            {
                temp.Delete();
            }
        }
    }
}
