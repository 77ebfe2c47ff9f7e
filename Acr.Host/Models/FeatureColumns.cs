namespace Acr.Host.Models;

/// <summary>Matches a data set's feature columns to a model's, by name, so a file whose columns are in another order scores correctly.</summary>
public static class FeatureColumns
{
    /// <summary>
    /// Which data column feeds each model feature. Headerless data (<paramref name="dataHasHeader"/> false, names col0,
    /// col1, …) is taken in order, and so is data for a model trained on headerless data; named columns must be the
    /// model's, in any order, each named once when they are not in the model's order.
    /// </summary>
    /// <param name="data">The data's feature names.</param>
    /// <param name="model">The model's feature names.</param>
    /// <param name="dataHasHeader">Whether the data's names came from a header row (see <see cref="TabularDataset.HasHeader"/>).</param>
    /// <exception cref="AcrUsageException">The counts differ, a model feature is missing from the data, or a name that must be matched occurs twice; the message names them.</exception>
    public static int[] Match(IReadOnlyList<string> data, IReadOnlyList<string> model, bool dataHasHeader = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        if (data.Count != model.Count)
        {
            throw new AcrUsageException(
                $"The data has {data.Count} feature columns ({Preview(data)}) but the model was trained on {model.Count} ({Preview(model)}). " +
                "Leave out extra columns with --drop, and name the label column with --label so it is not read as a feature.");
        }

        var identity = Enumerable.Range(0, model.Count).ToArray();
        if (!dataHasHeader || data.SequenceEqual(model, StringComparer.Ordinal) || Synthetic(model))
        {
            return identity;
        }

        var repeated = data.Concat(model).GroupBy(n => n, StringComparer.Ordinal)
            .Where(g => model.Contains(g.Key, StringComparer.Ordinal) && (data.Count(n => n == g.Key) > 1 || model.Count(n => n == g.Key) > 1))
            .Select(g => g.Key).ToArray();
        if (repeated.Length > 0)
        {
            throw new AcrUsageException(
                $"The data's columns are not in the model's order ({Preview(model)}), and {string.Join(", ", repeated.Select(n => $"'{n}'"))} " +
                $"{(repeated.Length == 1 ? "names" : "name")} more than one column, so they cannot be matched by name. " +
                "Put the feature columns in the model's order, or give every column its own name (in training and scoring).");
        }

        var index = data.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i, StringComparer.Ordinal);
        var missing = model.Where(n => !index.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
        {
            throw new AcrUsageException(
                $"The data's columns do not match the model's features: missing {string.Join(", ", missing)}; unexpected {string.Join(", ", data.Except(model, StringComparer.Ordinal))}. " +
                "Score data with the same feature columns the model was trained on (leave others out with --drop).");
        }

        return model.Select(n => index[n]).ToArray();
    }

    /// <summary>Whether the names are those of a headerless file: col&lt;i&gt; with increasing column indices (label, group and dropped columns left out).</summary>
    /// <param name="names">Feature names.</param>
    public static bool Synthetic(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var previous = -1;
        foreach (var name in names)
        {
            if (!name.StartsWith("col", StringComparison.Ordinal) || name.Length == 3
                || !int.TryParse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var i) || i <= previous)
            {
                return false;
            }

            previous = i;
        }

        return names.Count > 0;
    }

    /// <summary>The matrix with its columns reordered so column j is data column <c>source[j]</c> (the same array when already in order).</summary>
    /// <param name="features">Row-major matrix.</param>
    /// <param name="columns">Columns per row.</param>
    /// <param name="source">Data column of each output column.</param>
    public static float[] Reorder(float[] features, int columns, int[] source)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(source);
        if (source.Select((s, i) => s == i).All(b => b))
        {
            return features;
        }

        var rows = features.Length / columns;
        var result = new float[features.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < source.Length; j++)
            {
                result[(r * columns) + j] = features[(r * columns) + source[j]];
            }
        }

        return result;
    }

    private static string Preview(IReadOnlyList<string> names) =>
        names.Count <= 6 ? string.Join(", ", names) : string.Join(", ", names.Take(5)) + $", … {names[^1]}";
}
