using Acr.Host.Evaluation;
using Acr.Host.Scoring;
using Acr.Nn;

namespace Acr.Host.Recipes;

/// <summary>Computes the per-batch scores a <see cref="ScorerChoice"/> needs and combines them.</summary>
public static class ComponentScorer
{
    /// <summary>Scores one component on rows grouped into consecutive batches.</summary>
    /// <param name="component">Which score.</param>
    /// <param name="rows">Preprocessed row-major rows.</param>
    /// <param name="features">Features per row.</param>
    /// <param name="lengths">Rows per batch (each ≥ 2).</param>
    /// <param name="model">The trained detector (needed for <see cref="ScoreComponentKind.Acr"/>).</param>
    /// <param name="backend">The backend (needed for ACR and B2).</param>
    public static float[] Score(ScoreComponent component, float[] rows, int features, int[] lengths, DetectorModel? model, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentNullException.ThrowIfNull(backend);
        switch (component.Kind)
        {
            case ScoreComponentKind.Acr:
            {
                ArgumentNullException.ThrowIfNull(model);
                using var scorer = new ZeroShotScorer(model, backend);
                return scorer.Score(rows, lengths, BatchNormMode.Batch);
            }

            case ScoreComponentKind.RawBatchNorm:
            {
                using var segments = BatchSegments.Create(backend, lengths);
                using var b2 = new RawBatchNormScorer(backend, features);
                var scores = new float[segments.TotalRows];
                b2.Score(rows, segments, scores);
                return scores;
            }

            default:
                return InBatchKnnScorer.Score(rows, features, lengths, component.K);
        }
    }

    /// <summary>Scores <paramref name="choice"/> on rows grouped into consecutive batches.</summary>
    /// <param name="choice">The scorer.</param>
    /// <param name="rows">Preprocessed row-major rows.</param>
    /// <param name="features">Features per row.</param>
    /// <param name="lengths">Rows per batch (each ≥ 2).</param>
    /// <param name="model">The trained detector (needed when the choice uses ACR).</param>
    /// <param name="backend">The backend.</param>
    public static float[] Score(ScorerChoice choice, float[] rows, int features, int[] lengths, DetectorModel? model, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(choice);
        var parts = choice.Components.Select(c => Score(c, rows, features, lengths, model, backend)).ToArray();
        return choice.Combine(parts, lengths);
    }
}
