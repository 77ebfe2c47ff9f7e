namespace Acr.Host.Evaluation;

/// <summary>
/// Baseline B3, "in-batch kNN", on the host: no training. Each batch is first standardised with its own statistics,
/// feature by feature, <c>z = (x − mean) / √(var + 1e-5)</c> with the population variance (the same statistics and ε
/// as B2's batch norm), and a row's score is then the mean Euclidean distance from it to its k nearest <em>other</em>
/// rows of the same batch (k = min(k, n − 1); a batch's rows never see another batch's). Higher = more anomalous: a
/// row far from the bulk of its batch has no close neighbours. Exact (brute force, O(n²·d) per batch), so one batch
/// is limited to <see cref="MaxBatchRows"/> rows. Several k can be scored from one pass over the distances.
/// </summary>
public static class InBatchKnnScorer
{
    /// <summary>Variance guard of the per-batch standardisation (as B2's).</summary>
    public const float Epsilon = RawBatchNormScorer.Epsilon;

    /// <summary>The k of baseline B3 as the evaluation reports it.</summary>
    public const int DefaultK = 10;

    /// <summary>Largest batch scored (the n × n distances of a batch are computed exactly).</summary>
    public const int MaxBatchRows = 16_384;

    /// <summary>Largest k accepted.</summary>
    public const int MaxK = 1024;

    /// <summary>Scores rows grouped into consecutive batches with one k.</summary>
    /// <param name="rows">Row-major rows, Σ lengths × <paramref name="features"/>.</param>
    /// <param name="features">Features per row.</param>
    /// <param name="lengths">Rows per batch, in order (each ≥ 2).</param>
    /// <param name="k">Neighbours averaged (≥ 1; capped at n − 1 per batch).</param>
    /// <returns>One score per row.</returns>
    public static float[] Score(ReadOnlySpan<float> rows, int features, ReadOnlySpan<int> lengths, int k) => Score(rows, features, lengths, [k])[0];

    /// <summary>Scores rows grouped into consecutive batches for several k at once (the distances are computed once).</summary>
    /// <param name="rows">Row-major rows, Σ lengths × <paramref name="features"/>.</param>
    /// <param name="features">Features per row.</param>
    /// <param name="lengths">Rows per batch, in order (each ≥ 2).</param>
    /// <param name="ks">The k values (each in 1..<see cref="MaxK"/>).</param>
    /// <returns>Per k (in the order given), one score per row.</returns>
    /// <exception cref="ArgumentException">A batch of fewer than 2 or more than <see cref="MaxBatchRows"/> rows, a bad k, or a size mismatch.</exception>
    public static float[][] Score(ReadOnlySpan<float> rows, int features, ReadOnlySpan<int> lengths, ReadOnlySpan<int> ks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        if (ks.IsEmpty)
        {
            throw new ArgumentException("Give at least one k.", nameof(ks));
        }

        foreach (var k in ks)
        {
            if (k is < 1 or > MaxK)
            {
                throw new ArgumentException($"In-batch kNN needs k between 1 and {MaxK}; got {k}.", nameof(ks));
            }
        }

        long total = 0;
        foreach (var n in lengths)
        {
            CheckBatch(n);
            total += n;
        }

        if (rows.Length != total * features)
        {
            throw new ArgumentException($"Expected {total} rows × {features} features = {total * features} values; got {rows.Length}.", nameof(rows));
        }

        var kList = ks.ToArray();
        var outputs = kList.Select(_ => new float[total]).ToArray();
        var batch = Array.Empty<float>();
        var column = Array.Empty<float>();
        var distances = Array.Empty<float>();
        var row = Array.Empty<float>();
        var start = 0;
        foreach (var n in lengths)
        {
            if (batch.Length < n * features)
            {
                batch = new float[n * features];
                column = new float[n];
            }

            if (distances.Length < n * n)
            {
                distances = new float[n * n];
                row = new float[n];
            }

            var z = batch.AsSpan(0, n * features);
            rows.Slice(start * features, n * features).CopyTo(z);
            Standardise(z, column.AsSpan(0, n), n, features);
            var dist = distances.AsSpan(0, n * n);
            for (var i = 0; i < n; i++)
            {
                var a = z.Slice(i * features, features);
                for (var j = i + 1; j < n; j++)
                {
                    var value = Distance(a, z.Slice(j * features, features));
                    dist[(i * n) + j] = value;
                    dist[(j * n) + i] = value;
                }
            }

            for (var i = 0; i < n; i++)
            {
                // The other rows' distances, smallest first.
                var others = row.AsSpan(0, n - 1);
                dist.Slice(i * n, i).CopyTo(others);
                dist.Slice((i * n) + i + 1, n - 1 - i).CopyTo(others[i..]);
                others.Sort();
                for (var q = 0; q < kList.Length; q++)
                {
                    var k = Math.Min(kList[q], n - 1);
                    double sum = 0;
                    for (var m = 0; m < k; m++)
                    {
                        sum += others[m];
                    }

                    outputs[q][start + i] = (float)(sum / k);
                }
            }

            start += n;
        }

        return outputs;
    }

    /// <summary>Throws when a batch of <paramref name="rows"/> rows cannot be scored (fewer than 2, or more than <see cref="MaxBatchRows"/>).</summary>
    /// <param name="rows">Rows in the batch.</param>
    public static void CheckBatch(int rows)
    {
        if (rows < 2)
        {
            throw new ArgumentException($"In-batch kNN compares a row with the other rows of its batch; a batch of {rows} row has none. Use batches of at least 2 rows.");
        }

        if (rows > MaxBatchRows)
        {
            throw new ArgumentException($"In-batch kNN computes all n × n distances of a batch exactly; a batch of {rows} rows is more than the {MaxBatchRows} supported. Use smaller batches.");
        }
    }

    private static float Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            var diff = a[i] - b[i];
            sum += diff * diff;
        }

        return MathF.Sqrt(sum);
    }

    private static void Standardise(Span<float> rows, Span<float> column, int n, int d)
    {
        for (var j = 0; j < d; j++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                column[i] = rows[(i * d) + j];
                sum += column[i];
            }

            var mean = sum / n;
            double squares = 0;
            for (var i = 0; i < n; i++)
            {
                var c = column[i] - mean;
                squares += c * c;
            }

            var scale = 1.0 / Math.Sqrt((squares / n) + Epsilon);
            for (var i = 0; i < n; i++)
            {
                rows[(i * d) + j] = (float)((column[i] - mean) * scale);
            }
        }
    }
}
