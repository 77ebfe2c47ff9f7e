using Acr.Compute;
using Acr.Tensors;

namespace Acr.Samples.KnnDetector;

/// <summary>
/// The sample plugin's own op, <c>knn.scores</c>: for each segment (batch) of x (N×D), optionally standardise
/// every column by the segment's mean and population variance, <c>(x − μ) / √(σ² + ε)</c>; then
/// <c>scores[i]</c> = the mean Euclidean distance from row i to its k' = min(k, n_s − 1) nearest other rows of
/// the same segment (0 when a segment has one row). Higher = more anomalous.
/// </summary>
/// <remarks>
/// An op defines its rules, its scalar reference and its conformance samples once; the plugin adds a CPU
/// kernel (<see cref="KnnScoresCpuKernel"/>) and every other backend runs the reference on the host.
/// </remarks>
public sealed class KnnScoresOp() : ComputeOp<KnnScoresOp, KnnScoresOp.Args>("knn.scores")
{
    /// <summary>The arguments.</summary>
    /// <param name="X">Rows, N×D.</param>
    /// <param name="Segments">The batches; neighbours are searched within each.</param>
    /// <param name="K">Neighbours averaged (capped at batch size − 1), at least 1.</param>
    /// <param name="Epsilon">Variance guard of the standardisation.</param>
    /// <param name="Standardize">Whether each batch is standardised first (batch mode) or taken as it is.</param>
    /// <param name="Scores">One score per row, N.</param>
    public readonly record struct Args(Tensor X, BatchSegments Segments, int K, float Epsilon, bool Standardize, Tensor Scores);

    /// <inheritdoc />
    protected override void Validate(OpValidator check, in Args a)
    {
        check.Floats(a.X, "x");
        check.Floats(a.Scores, "scores");
        check.Segments(a.Segments, a.X.Shape.Rows);
        check.Length(a.Scores, a.X.Shape.Rows, "scores", "one per row of x");
        check.Distinct(a.Scores, a.X, "scores", "x");
        if (a.K < 1)
        {
            check.OutOfRange($"k must be at least 1; got {a.K}.", "k");
        }

        if (!(a.Epsilon > 0 && float.IsFinite(a.Epsilon)))
        {
            check.OutOfRange($"epsilon must be finite and positive; got {a.Epsilon}.", "epsilon");
        }
    }

    /// <inheritdoc />
    protected override void Reference(in Args a, HostTensors host)
    {
        var x = host.Read(a.X);
        var scores = host.Write(a.Scores);
        var d = a.X.Shape.Columns;
        for (var s = 0; s < a.Segments.Count; s++)
        {
            int start = a.Segments.Start(s), n = a.Segments.Length(s);
            var rows = new double[n * d];
            for (var j = 0; j < d; j++)
            {
                double mean = 0, variance = 0;
                for (var i = 0; i < n; i++)
                {
                    mean += x[((start + i) * d) + j];
                }

                mean /= n;
                for (var i = 0; i < n; i++)
                {
                    var e = x[((start + i) * d) + j] - mean;
                    variance += e * e;
                }

                var scale = a.Standardize ? 1 / Math.Sqrt((variance / n) + a.Epsilon) : 1;
                for (var i = 0; i < n; i++)
                {
                    rows[(i * d) + j] = a.Standardize ? (x[((start + i) * d) + j] - mean) * scale : x[((start + i) * d) + j];
                }
            }

            var k = Math.Min(a.K, n - 1);
            var distances = new double[Math.Max(0, n - 1)];
            for (var i = 0; i < n; i++)
            {
                var m = 0;
                for (var other = 0; other < n; other++)
                {
                    if (other == i)
                    {
                        continue;
                    }

                    double sum = 0;
                    for (var j = 0; j < d; j++)
                    {
                        var e = rows[(i * d) + j] - rows[(other * d) + j];
                        sum += e * e;
                    }

                    distances[m++] = Math.Sqrt(sum);
                }

                Array.Sort(distances);
                scores[start + i] = k < 1 ? 0f : (float)(distances.Take(k).Sum() / k);
            }
        }
    }

    /// <inheritdoc />
    protected override IEnumerable<OpSample<Args>> Samples()
    {
        var cases = new (int[] Lengths, int D, int K)[] { ([1], 3, 5), ([2], 1, 5), ([7, 1, 9], 4, 3), ([64, 33], 16, 10), ([300], 17, 5), ([5, 5, 5, 5], 2, 1) };
        foreach (var (lengths, d, k) in cases)
        {
            var n = lengths.Sum();
            var x = SampleTensor.Of(TensorShape.Matrix(n, d), SampleData.Uniform(n * d, n + d, 2f, 1f));
            var scores = SampleTensor.Vector(SampleData.Filled(n, float.NaN));
            foreach (var standardize in new[] { true, false })
            {
                yield return new OpSample<Args>($"batches {string.Join("+", lengths)} D={d} k={k} standardize={standardize}", [x, scores],
                    t => new Args(t[0], t.Segments!, k, 1e-5f, standardize, t[1])) { Segments = lengths, Tolerance = 1e-4 };
            }
        }
    }
}
