using Acr.Compute;

namespace Acr.Host.Tests;

/// <summary>Baseline B2 on the backend equals the formula Σ_j (x_j − mean_j)² / (var_j + 1e-5), computed per batch in double.</summary>
public class RawBatchNormScorerTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData("reference")]
    public void Matches_the_formula_in_double_per_batch(string backendName)
    {
        using var backend = PluginCatalog.Load(PluginCatalog.SearchPath()).Registry.CreateBackend(backendName);
        int[] lengths = [2, 37, 500, 3];
        const int d = 7;
        var n = lengths.Sum();
        var rng = new Acr.Numerics.SeededRandom(3);
        var rows = Enumerable.Range(0, n * d).Select(_ => (float)((rng.NextNormal() * 3) + 10)).ToArray();
        using var scorer = new RawBatchNormScorer(backend, d);
        using var segments = BatchSegments.Create(backend, lengths);
        var scores = new float[n];
        scorer.Score(rows, segments, scores);

        var start = 0;
        foreach (var length in lengths)
        {
            var mean = new double[d];
            var variance = new double[d];
            for (var i = start; i < start + length; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    mean[j] += rows[(i * d) + j] / (double)length;
                }
            }

            for (var i = start; i < start + length; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    variance[j] += Math.Pow(rows[(i * d) + j] - mean[j], 2) / length;
                }
            }

            for (var i = start; i < start + length; i++)
            {
                var expected = Enumerable.Range(0, d).Sum(j => Math.Pow(rows[(i * d) + j] - mean[j], 2) / (variance[j] + 1e-5));
                Assert.True(Math.Abs(scores[i] - expected) <= 1e-4 * (1 + expected), $"row {i}: {scores[i]} vs {expected}");
            }

            start += length;
        }
    }
}
