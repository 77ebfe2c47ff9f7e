using System.Reflection;
using System.Text.Json;
using Acr.Host.Composition;
using Acr.Host.Preprocessing;

namespace Acr.Host.Models;

/// <summary>
/// Saves and loads ACR models as one <c>.safetensors</c> file: every parameter and buffer (weights,
/// centre, batch-norm running statistics) as an F32 tensor, and the JSON <see cref="ModelConfig"/> in
/// <c>__metadata__</c>. Writes go to a temporary file that is renamed into place, so a failed save never
/// leaves a half-written model. Files are byte-identical for identical models.
/// </summary>
public static class ModelStore
{
    /// <summary>Metadata key holding the JSON config.</summary>
    public const string ConfigKey = "acr.config";

    /// <summary>Metadata key holding the format name.</summary>
    public const string FormatKey = "format";

    /// <summary>The value of <see cref="FormatKey"/>.</summary>
    public const string FormatName = "acr-model";

    /// <summary>The format version this build writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>This build's version.</summary>
    public static string AcrVersion { get; } =
        typeof(ModelStore).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Saves <paramref name="model"/> with its config to <paramref name="path"/> (atomically).</summary>
    /// <param name="path">Destination file.</param>
    /// <param name="model">The model.</param>
    /// <param name="config">Its config.</param>
    public static void Save(string path, DetectorModel model, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        var tensors = model.State()
            .Select(s => (s.Name, s.Tensor.Shape.ToArray(), (ReadOnlyMemory<float>)s.Tensor.ToArray()))
            .ToArray();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatName,
            [ConfigKey] = JsonSerializer.Serialize(config, Json),
        };
        SafeTensorsWriter.Write(path, metadata, tensors);
    }

    /// <summary>Loads a model saved by <see cref="Save"/> onto <paramref name="backend"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="registry">Where to find the detector the file names.</param>
    /// <param name="backend">Where to put the tensors.</param>
    /// <exception cref="ModelFormatException">The file is not a valid Acr model (the message says why).</exception>
    /// <exception cref="AcrUsageException">The file names a detector no plugin provides.</exception>
    public static TrainedModel Load(string path, ComponentRegistry registry, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(backend);
        if (!File.Exists(path))
        {
            throw new AcrUsageException($"Model file '{path}' not found. Train one with 'acr train ... --out {path}'.");
        }

        var file = SafeTensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(FormatKey, out var format) || format != FormatName || !file.Metadata.TryGetValue(ConfigKey, out var json))
        {
            throw new ModelFormatException($"'{path}' is a .safetensors file but not an Acr model (no '{FormatKey}: {FormatName}' and '{ConfigKey}' in its metadata).");
        }

        ModelConfig config;
        try
        {
            config = JsonSerializer.Deserialize<ModelConfig>(json, Json) ?? throw new JsonException("null config");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"'{path}': the model config in the metadata is not valid JSON ({e.Message}); the file is corrupted.", e);
        }

        if (config.FormatVersion != CurrentFormatVersion)
        {
            throw new ModelFormatException($"'{path}' uses model format version {config.FormatVersion} (written by Acr {config.AcrVersion}); this Acr {AcrVersion} reads version {CurrentFormatVersion}.");
        }

        if (config.Selection is { } selection)
        {
            try
            {
                _ = Recipes.ScorerChoice.Parse(selection.Scorer ?? []);
            }
            catch (FormatException e)
            {
                throw new ModelFormatException($"'{path}': the model's chosen scorer cannot be applied ({e.Message}).", e);
            }
        }

        var features = config.FeatureNames.Count;
        if (features == 0 || config.PreprocessingMean.Count != features || config.PreprocessingStd.Count != features)
        {
            throw new ModelFormatException($"'{path}': the config's feature names ({features}) and preprocessing statistics ({config.PreprocessingMean.Count}, {config.PreprocessingStd.Count}) disagree; the file is corrupted.");
        }

        var featureSet = config.FeatureNames.ToHashSet(StringComparer.Ordinal);
        foreach (var c in config.Categorical ?? [])
        {
            if (c?.Column is null || c.Categories is null || c.Categories.Count == 0 || c.Categories.Any(k => k is null || !featureSet.Contains($"{c.Column}={k}"))
                || !c.Categories.SequenceEqual(c.Categories.Order(StringComparer.Ordinal).Distinct(StringComparer.Ordinal), StringComparer.Ordinal))
            {
                throw new ModelFormatException($"'{path}': the config's categorical column '{c?.Column}' does not match its feature names; the file is corrupted.");
            }
        }

        Standardizer standardizer;
        try
        {
            standardizer = new Standardizer([.. config.PreprocessingMean], [.. config.PreprocessingStd]);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"'{path}': invalid preprocessing statistics ({e.UserMessage()}).", e);
        }

        var detector = registry.GetDetector(config.Detector);
        DetectorModel model;
        try
        {
            model = detector.CreateModel(new DetectorModelSpec(features, DetectorOptionResolver.Resolve(detector, config.DetectorOptions), config.Seed), backend);
        }
        catch (Exception e) when (e is ArgumentException or AcrUsageException)
        {
            throw new ModelFormatException($"'{path}': the saved options do not build a '{config.Detector}' model with this version of its plugin ({(e is ArgumentException a ? a.UserMessage() : e.Message)}); retrain, or use the plugin version that wrote it.", e);
        }

        try
        {
            var state = model.State();
            var names = state.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            var extra = file.Tensors.Where(t => !names.Contains(t.Name)).Select(t => t.Name).ToArray();
            if (extra.Length > 0)
            {
                throw new ModelFormatException($"'{path}' holds tensors the '{config.Detector}' model does not have: {string.Join(", ", extra)}.");
            }

            foreach (var s in state)
            {
                if (!file.TryGetTensor(s.Name, out var t))
                {
                    throw new ModelFormatException($"'{path}' lacks tensor '{s.Name}' of the '{config.Detector}' model; the file is incomplete.");
                }

                if (!t.Shape.AsSpan().SequenceEqual(s.Tensor.Shape.ToArray()))
                {
                    throw new ModelFormatException($"'{path}': tensor '{s.Name}' has shape [{string.Join(", ", t.Shape)}] but the model expects {s.Tensor.Shape}.");
                }

                var bad = Array.FindIndex(t.Data, v => !float.IsFinite(v));
                if (bad >= 0)
                {
                    throw new ModelFormatException(
                        $"'{path}': tensor '{s.Name}' holds a non-finite weight ({t.Data[bad].ToString(CultureInfo.InvariantCulture)} at element {bad}); " +
                        "the model diverged or the file is corrupted. Retrain it (e.g. with a lower --lr).");
                }

                backend.Upload(t.Data, s.Tensor);
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return new TrainedModel(model, standardizer, config, backend);
    }
}
