using Acr.Host.Preprocessing;
using Acr.Host.Scoring;

namespace Acr.Host.Models;

/// <summary>
/// A meta-trained detector ready to score: the detector model (on its backend), the preprocessing fitted on the
/// training data, and the config saved with it. Made by <see cref="Training.ModelTrainer"/> or loaded from a
/// <c>.safetensors</c> file; disposing it releases the model's backend memory.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    /// <summary>Wraps a model with its preprocessing and config.</summary>
    /// <param name="model">The detector model (owned: disposed with this).</param>
    /// <param name="standardizer">Preprocessing fitted on the training data.</param>
    /// <param name="config">The configuration saved with the model.</param>
    /// <param name="backend">The backend the model lives on.</param>
    /// <param name="trainingLosses">The loss of every training iteration, when it was just trained (empty when loaded).</param>
    public TrainedModel(DetectorModel model, Standardizer standardizer, ModelConfig config, ComputeBackend backend, IReadOnlyList<double>? trainingLosses = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(standardizer);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(backend);
        Model = model;
        Standardizer = standardizer;
        Config = config;
        Backend = backend;
        TrainingLosses = trainingLosses ?? [];
    }

    /// <summary>The detector model.</summary>
    public DetectorModel Model { get; }

    /// <summary>Preprocessing fitted on the training data (applied to every row scored).</summary>
    public Standardizer Standardizer { get; }

    /// <summary>The saved configuration: detector, options, seed, features, preprocessing, training settings.</summary>
    public ModelConfig Config { get; }

    /// <summary>The backend the model lives on.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>The loss of every training iteration when this model was trained in this process; empty for a loaded model or a training-free detector.</summary>
    public IReadOnlyList<double> TrainingLosses { get; }

    /// <summary>Loads a model saved by <see cref="Save"/> (see <see cref="ModelStore.Load"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="registry">Where to find the detector the file names.</param>
    /// <param name="backend">Where to put the tensors.</param>
    public static TrainedModel Load(string path, Composition.ComponentRegistry registry, ComputeBackend backend) => ModelStore.Load(path, registry, backend);

    /// <summary>Saves the model as one <c>.safetensors</c> file, atomically.</summary>
    /// <param name="path">Destination.</param>
    public void Save(string path) => ModelStore.Save(path, Model, Config);

    /// <summary>
    /// Zero-shot scores every row of <paramref name="data"/>: its feature columns are matched to the model's by name, each
    /// row is preprocessed as in training, and the rows are scored in batches of at most <see cref="ScoringRequest.BatchSize"/>
    /// rows (within each group when the data has a group column; from a seeded shuffle of each window of rows unless
    /// <see cref="ScoringRequest.Order"/> is <see cref="ScoringOrder.File"/>; see <see cref="BatchPlan"/>), each batch centred
    /// by its own statistics. In batch mode the score is the one the model's <see cref="Scorer"/> names (ACR unless
    /// meta-validation chose otherwise). <c>acr score</c> streams the same batches (<see cref="Scoring.Streaming.StreamingScorer"/>).
    /// </summary>
    /// <param name="data">The rows to score.</param>
    /// <param name="request">Batching and batch-norm mode (defaults: 256-row batches, shuffled windows with seed 0, batch mode).</param>
    /// <exception cref="AcrUsageException">The columns do not match the model's, or a batch would have one row in batch mode.</exception>
    public ScoreResult Score(TabularDataset data, ScoringRequest? request = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        request ??= new ScoringRequest();
        var features = Config.FeatureNames.Count;
        var source = FeatureColumns.Match(data.FeatureNames, Config.FeatureNames, data.HasHeader);
        var batchMode = request.Mode == Nn.BatchNormMode.Batch;
        var layout = BatchLayout.Plan(data.Rows, data.Groups, request, features);
        var x = Standardizer.Transform(FeatureColumns.Reorder(data.Features, data.Columns, source));
        var rows = RowGather.Gather(x, features, [.. layout.Order]);
        if (batchMode && Config.Selection is { } selection && selection.Choice != Recipes.ScorerChoice.AcrOnly)
        {
            var lengths = layout.Lengths.ToArray();
            foreach (var n in lengths)
            {
                CheckKnnBatch(selection.Choice, n);
            }

            return new ScoreResult(layout, Recipes.ComponentScorer.Score(selection.Choice, rows, features, lengths, Model, Backend), data.Labels);
        }

        using var scorer = new ZeroShotScorer(Model, Backend);
        var scores = scorer.Score(rows, [.. layout.Lengths], request.Mode);
        return new ScoreResult(layout, scores, data.Labels);
    }

    /// <summary>The scorer this model applies in batch mode: what meta-validation chose, else ACR.</summary>
    public Recipes.ScorerChoice Scorer => Config.Selection?.Choice ?? Recipes.ScorerChoice.AcrOnly;

    internal static void CheckKnnBatch(Recipes.ScorerChoice choice, int rows)
    {
        if (choice.Components.Any(c => c.Kind == Recipes.ScoreComponentKind.Knn))
        {
            try
            {
                Evaluation.InBatchKnnScorer.CheckBatch(rows);
            }
            catch (ArgumentException e)
            {
                throw new AcrUsageException($"This model's chosen scorer ({choice.Name}) uses in-batch kNN: {e.Message}", e);
            }
        }
    }

    /// <summary>Releases the model's backend memory.</summary>
    public void Dispose() => Model.Dispose();
}
