namespace Acr.Host.Models;

/// <summary>Matches a data set's feature columns to a model's, by name, so a file whose columns are in another order scores correctly.</summary>
public static class FeatureColumns
{
    /// <summary>
    /// Which data column feeds each model feature. Headerless data (names col0, col1, …) is taken in order; named
    /// columns must be the model's, in any order.
    /// </summary>
    /// <param name="data">The data's feature names.</param>
    /// <param name="model">The model's feature names.</param>
    /// <exception cref="AcrUsageException">The counts differ, or a model feature is missing from the data; the message names them.</exception>
    public static int[] Match(IReadOnlyList<string> data, IReadOnlyList<string> model)
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
        static bool Generated(IReadOnlyList<string> names) => names.Select((n, i) => n == $"col{i}").All(b => b);
        if (data.SequenceEqual(model, StringComparer.Ordinal) || Generated(data) || Generated(model))
        {
            return identity;
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
