namespace Acr.Host.Recipes;

/// <summary>The kinds of per-batch score the default recipe chooses among.</summary>
public enum ScoreComponentKind
{
    /// <summary>The meta-trained detector in batch mode (ACR).</summary>
    Acr,

    /// <summary>Raw batch norm, baseline B2 (training-free).</summary>
    RawBatchNorm,

    /// <summary>In-batch kNN, baseline B3 (training-free), with its k.</summary>
    Knn,
}

/// <summary>One per-batch score: ACR, B2, or in-batch kNN with a given k.</summary>
/// <param name="Kind">Which score.</param>
/// <param name="K">Neighbours, for <see cref="ScoreComponentKind.Knn"/> (0 otherwise).</param>
public readonly record struct ScoreComponent(ScoreComponentKind Kind, int K = 0)
{
    /// <summary>ACR.</summary>
    public static ScoreComponent Acr => new(ScoreComponentKind.Acr);

    /// <summary>B2.</summary>
    public static ScoreComponent RawBatchNorm => new(ScoreComponentKind.RawBatchNorm);

    /// <summary>In-batch kNN with <paramref name="k"/> neighbours.</summary>
    /// <param name="k">Neighbours.</param>
    public static ScoreComponent Knn(int k) => new(ScoreComponentKind.Knn, k);

    /// <summary>The id a model file stores: <c>acr</c>, <c>b2</c> or <c>knn:K</c>.</summary>
    public string Id => Kind switch
    {
        ScoreComponentKind.Acr => "acr",
        ScoreComponentKind.RawBatchNorm => "b2",
        _ => string.Create(CultureInfo.InvariantCulture, $"knn:{K}"),
    };

    /// <summary>A readable name: <c>ACR</c>, <c>B2</c>, <c>kNN(k=10)</c>.</summary>
    public string Name => Kind switch
    {
        ScoreComponentKind.Acr => "ACR",
        ScoreComponentKind.RawBatchNorm => "B2",
        _ => string.Create(CultureInfo.InvariantCulture, $"kNN(k={K})"),
    };

    /// <summary>Parses an <see cref="Id"/>.</summary>
    /// <param name="id">The id.</param>
    /// <exception cref="FormatException">Not an id this version knows.</exception>
    public static ScoreComponent Parse(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id == "acr")
        {
            return Acr;
        }

        if (id == "b2")
        {
            return RawBatchNorm;
        }

        if (id.StartsWith("knn:", StringComparison.Ordinal)
            && int.TryParse(id.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var k)
            && k is >= 1 and <= Evaluation.InBatchKnnScorer.MaxK)
        {
            return Knn(k);
        }

        throw new FormatException($"'{id}' is not a score this version of Acr knows (acr, b2, knn:K with K in 1..{Evaluation.InBatchKnnScorer.MaxK}).");
    }
}

/// <summary>
/// The score a recipe applies to a batch: one component as it is, or the within-batch <em>rank average</em> of several —
/// each component's scores are turned into ranks within the batch (ties share their mean rank), divided by the batch
/// size, and averaged. Ranks make scores on different scales (ACR's squared distances, B2's Mahalanobis-like sums,
/// kNN's distances) comparable without any fitted constant, and a rank average is unchanged by any increasing
/// transform of a component.
/// </summary>
public sealed record ScorerChoice
{
    /// <summary>Creates a choice of one or more distinct components.</summary>
    /// <param name="components">The components (at least one, no repeats).</param>
    public ScorerChoice(IReadOnlyList<ScoreComponent> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count == 0 || components.Distinct().Count() != components.Count)
        {
            throw new ArgumentException("A scorer needs one or more distinct components.", nameof(components));
        }

        Components = [.. components];
    }

    /// <summary>The paper's scorer: ACR alone.</summary>
    public static ScorerChoice AcrOnly { get; } = new([ScoreComponent.Acr]);

    /// <summary>The components, in order.</summary>
    public IReadOnlyList<ScoreComponent> Components { get; }

    /// <summary>Whether the scorer needs the trained detector.</summary>
    public bool UsesAcr => Components.Any(c => c.Kind == ScoreComponentKind.Acr);

    /// <summary>Readable name, e.g. <c>ACR</c> or <c>rank-mean(ACR, kNN(k=10))</c>.</summary>
    public string Name => Components.Count == 1 ? Components[0].Name : $"rank-mean({string.Join(", ", Components.Select(c => c.Name))})";

    /// <summary>The ids a model file stores.</summary>
    public IReadOnlyList<string> Ids => Components.Select(c => c.Id).ToArray();

    /// <summary>Parses stored ids.</summary>
    /// <param name="ids">The ids.</param>
    /// <exception cref="FormatException">An unknown id, none, or a repeat.</exception>
    public static ScorerChoice Parse(IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var components = ids.Select(ScoreComponent.Parse).ToArray();
        if (components.Length == 0 || components.Distinct().Count() != components.Length)
        {
            throw new FormatException($"A scorer needs one or more distinct components; got [{string.Join(", ", ids)}].");
        }

        return new ScorerChoice(components);
    }

    /// <summary>Structural equality on the components.</summary>
    /// <param name="other">The other choice.</param>
    public bool Equals(ScorerChoice? other) => other is not null && Components.SequenceEqual(other.Components);

    /// <inheritdoc />
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    /// <summary>
    /// Combines per-component scores of the same rows into this scorer's score: the component itself when there is one,
    /// else the mean over components of the within-batch rank / n.
    /// </summary>
    /// <param name="componentScores">One score vector per component, in <see cref="Components"/> order.</param>
    /// <param name="lengths">Rows per batch, in order.</param>
    /// <returns>One score per row.</returns>
    public float[] Combine(IReadOnlyList<float[]> componentScores, ReadOnlySpan<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(componentScores);
        if (componentScores.Count != Components.Count)
        {
            throw new ArgumentException($"Need {Components.Count} score vectors; got {componentScores.Count}.", nameof(componentScores));
        }

        if (Components.Count == 1)
        {
            return [.. componentScores[0]];
        }

        var total = componentScores[0].Length;
        var result = new float[total];
        var ranks = new double[total];
        var sum = new double[total];
        foreach (var scores in componentScores)
        {
            if (scores.Length != total)
            {
                throw new ArgumentException("Every component needs one score per row.", nameof(componentScores));
            }

            var start = 0;
            foreach (var n in lengths)
            {
                WithinBatchRanks(scores.AsSpan(start, n), ranks.AsSpan(start, n));
                for (var i = start; i < start + n; i++)
                {
                    sum[i] += ranks[i] / n;
                }

                start += n;
            }

            if (start != total)
            {
                throw new ArgumentException($"The batch lengths cover {start} rows; the scores have {total}.", nameof(lengths));
            }
        }

        for (var i = 0; i < total; i++)
        {
            result[i] = (float)(sum[i] / componentScores.Count);
        }

        return result;
    }

    /// <summary>1-based ranks, ascending, ties sharing their mean rank; NaN ranks lowest (a NaN score is never trusted as anomalous).</summary>
    /// <param name="scores">Scores of one batch.</param>
    /// <param name="ranks">Ranks out.</param>
    public static void WithinBatchRanks(ReadOnlySpan<float> scores, Span<double> ranks)
    {
        var n = scores.Length;
        var order = new int[n];
        var keys = new float[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
            keys[i] = float.IsNaN(scores[i]) ? float.NegativeInfinity : scores[i];
        }

        Array.Sort(keys, order);
        var a = 0;
        while (a < n)
        {
            var b = a;
            while (b + 1 < n && keys[b + 1] == keys[a])
            {
                b++;
            }

            var rank = ((a + b) / 2.0) + 1;
            for (var i = a; i <= b; i++)
            {
                ranks[order[i]] = rank;
            }

            a = b + 1;
        }
    }
}
