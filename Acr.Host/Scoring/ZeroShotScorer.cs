using Acr.Autograd;
using Acr.Nn;
using Acr.Tensors;

namespace Acr.Host.Scoring;

/// <summary>
/// Zero-shot scoring: batches from a distribution never seen in training go through the trained
/// network with batch norm in batch mode (each batch centred by its own statistics), no gradient, no
/// update. Many batches can be scored in one pass: each is its own segment. Higher score = more anomalous.
/// </summary>
/// <param name="model">A trained model.</param>
/// <param name="backend">The model's backend.</param>
public sealed class ZeroShotScorer(DetectorModel model, ComputeBackend backend) : IDisposable
{
    private readonly DetectorModel _model = model ?? throw new ArgumentNullException(nameof(model));
    private readonly Tape _tape = new(backend ?? throw new ArgumentNullException(nameof(backend)), recording: false);

    /// <summary>The backend the model lives on (batches' segments are created on it).</summary>
    public ComputeBackend Backend { get; } = backend;

    /// <summary>
    /// Scores rows grouped into consecutive batches. In <see cref="BatchNormMode.Batch"/> mode (ACR)
    /// every batch is normalised by its own statistics; in <see cref="BatchNormMode.Running"/> mode
    /// (baseline B1) by the running statistics from training.
    /// </summary>
    /// <param name="rows">Row-major features, batches.TotalRows × features (already preprocessed).</param>
    /// <param name="batches">The batches (segments, on <see cref="Backend"/>); each needs ≥ 2 rows in batch mode.</param>
    /// <param name="mode">Batch-norm mode.</param>
    /// <param name="scores">Output, one score per row.</param>
    public void Score(ReadOnlySpan<float> rows, BatchSegments batches, BatchNormMode mode, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var features = _model.Spec.InputFeatures;
        if (rows.Length != batches.TotalRows * features)
        {
            throw new ArgumentException($"Expected {batches.TotalRows} rows × {features} features = {batches.TotalRows * features} values; got {rows.Length}. The model was trained on {features} features.");
        }

        if (scores.Length != batches.TotalRows)
        {
            throw new ArgumentException($"Need one score slot per row ({batches.TotalRows}); got {scores.Length}.");
        }

        if (mode == BatchNormMode.Batch && batches.MinLength() < 2)
        {
            throw new ArgumentException(
                $"Zero-shot scoring centres each batch by its own batch-norm statistics, which a batch of {batches.MinLength()} row does not have. Use batches of at least 2 rows (--batch-size ≥ 2).");
        }

        _tape.Reset();
        var x = _tape.Input(rows, TensorShape.Matrix(batches.TotalRows, features));
        var context = new ForwardContext(batches, mode, UpdateRunningStatistics: false);
        var terms = _model.Forward(_tape, x, context);
        _tape.Backend.Download(terms.Score.Value, scores);
    }

    /// <summary>Scores rows grouped into consecutive batches of the given lengths; returns one score per row.</summary>
    /// <param name="rows">Row-major features.</param>
    /// <param name="batchLengths">Rows per batch, in order.</param>
    /// <param name="mode">Batch-norm mode.</param>
    public float[] Score(ReadOnlySpan<float> rows, ReadOnlySpan<int> batchLengths, BatchNormMode mode)
    {
        using var batches = BatchSegments.Create(Backend, batchLengths);
        var scores = new float[batches.TotalRows];
        Score(rows, batches, mode, scores);
        return scores;
    }

    /// <inheritdoc />
    public void Dispose() => _tape.Dispose();
}
