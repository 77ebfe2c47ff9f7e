namespace Acr.Host.Models;

/// <summary>
/// Everything besides the weights that a saved model needs: saved as JSON in the safetensors
/// <c>__metadata__</c> under <see cref="ModelStore.ConfigKey"/>. Data only, never executable.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The file format's version; a reader refuses versions it does not know.</summary>
    public int FormatVersion { get; init; } = ModelStore.CurrentFormatVersion;

    /// <summary>The Acr version that wrote the file.</summary>
    public string AcrVersion { get; init; } = ModelStore.AcrVersion;

    /// <summary>Detector name.</summary>
    public required string Detector { get; init; }

    /// <summary>Resolved detector options.</summary>
    public required IReadOnlyDictionary<string, string> DetectorOptions { get; init; }

    /// <summary>Initialisation seed (the model is rebuilt from it before its state is loaded).</summary>
    public required ulong Seed { get; init; }

    /// <summary>Feature names, in column order; their count is the input width.</summary>
    public required IReadOnlyList<string> FeatureNames { get; init; }

    /// <summary>Per-feature mean of the training rows.</summary>
    public required IReadOnlyList<double> PreprocessingMean { get; init; }

    /// <summary>Per-feature standard deviation of the training rows (1 for constant features).</summary>
    public required IReadOnlyList<double> PreprocessingStd { get; init; }

    /// <summary>
    /// The one-hot encoded categorical columns, with the categories learnt from the training rows; their features are in
    /// <see cref="FeatureNames"/> (<c>Column=Category</c>). Empty when there are none (and in files written before them).
    /// </summary>
    public IReadOnlyList<CategoricalColumn> Categorical { get; init; } = [];

    /// <summary>The training distributions (classes or groups).</summary>
    public required IReadOnlyList<string> TrainClasses { get; init; }

    /// <summary>Meta-training settings, for the record.</summary>
    public required TrainingRecord Training { get; init; }

    /// <summary>
    /// What meta-validation chose when the model was trained with the validated recipe — the scorer <c>acr score</c>
    /// applies in batch mode, the iterations, and the validation figures; null for the paper's recipe (score = ACR).
    /// </summary>
    public Recipes.RecipeSelection? Selection { get; init; }
}

/// <summary>The meta-training settings a model was trained with.</summary>
/// <param name="Iterations">Iterations.</param>
/// <param name="Tasks">Tasks per iteration.</param>
/// <param name="TaskSize">Rows per task.</param>
/// <param name="AnomalyRatio">Anomaly share per task.</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="Backend">Backend used for training.</param>
/// <param name="Data">Training data source.</param>
public sealed record TrainingRecord(int Iterations, int Tasks, int TaskSize, double AnomalyRatio, double LearningRate, string Backend, string Data);
