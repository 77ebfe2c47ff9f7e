using Acr.Autograd;
using Acr.Tensors;

namespace Acr.Host.Evaluation;

/// <summary>
/// Baseline B2, "raw batch norm", on the backend: no training; a row's score is its squared distance to its batch's
/// mean in units of the batch's own variance, <c>Σ_j (x_j − mean_j)² / (var_j + 1e-5)</c> with the population
/// variance — a segmented batch norm with γ = 1, β = 0, ε = 1e-5 followed by the squared norm of each row, so many
/// batches are scored in one pass, one segment each.
/// </summary>
public sealed class RawBatchNormScorer : IDisposable
{
    /// <summary>Variance guard.</summary>
    public const float Epsilon = 1e-5f;

    private readonly ComputeBackend _backend;
    private readonly Tape _tape;
    private readonly Tensor _ones;
    private readonly Tensor _zeros;

    /// <summary>Creates the scorer for rows of <paramref name="features"/> values.</summary>
    /// <param name="backend">Where to compute.</param>
    /// <param name="features">Features per row.</param>
    public RawBatchNormScorer(ComputeBackend backend, int features)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        _backend = backend;
        Features = features;
        _tape = new Tape(backend, recording: false);
        _ones = backend.Allocate(TensorShape.Vector(features));
        backend.Fill(_ones, 1f);
        _zeros = backend.Allocate(TensorShape.Vector(features));
        backend.Fill(_zeros, 0f);
    }

    /// <summary>Features per row.</summary>
    public int Features { get; }

    /// <summary>Scores rows grouped into consecutive batches (segments of <paramref name="batches"/>, each ≥ 2 rows).</summary>
    /// <param name="rows">Row-major rows, batches.TotalRows × <see cref="Features"/>.</param>
    /// <param name="batches">The batches, on this scorer's backend.</param>
    /// <param name="scores">One score per row.</param>
    public void Score(ReadOnlySpan<float> rows, BatchSegments batches, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(batches);
        _tape.Reset();
        var x = _tape.Input(rows, TensorShape.Matrix(batches.TotalRows, Features));
        var one = _tape.View(_ones, _ones.Shape);
        var zero = _tape.View(_zeros, _zeros.Shape);
        var normalised = Ops.BatchNorm(_tape, x, batches, one, zero, Epsilon);
        var distance = Ops.RowSquaredDistance(_tape, normalised, zero);
        _backend.Download(distance.Value, scores);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _tape.Dispose();
        _ones.Dispose();
        _zeros.Dispose();
    }
}
