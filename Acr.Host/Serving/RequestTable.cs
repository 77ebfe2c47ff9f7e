namespace Acr.Host.Serving;

/// <summary>A request's rows as parsed: row-major values in the request's column order, and the column names when it has them.</summary>
internal sealed class RequestTable(float[] values, int rows, int columns, IReadOnlyList<string>? names)
{
    public float[] Values { get; } = values;

    public int Rows { get; } = rows;

    public int Columns { get; } = columns;

    /// <summary>The request's column names (CSV header, JSON "columns", Arrow schema), or null when it gave none.</summary>
    public IReadOnlyList<string>? Names { get; } = names;

    /// <summary>
    /// Which request column feeds each model feature. Without names (or with generated names col0, col1, …) the columns are
    /// taken in order and their count must be the model's; with names, they must be the model's features in any order.
    /// </summary>
    /// <param name="model">The model's feature names.</param>
    /// <param name="ignoreOtherNamedColumns">With names, columns that are not features (an id, a label) are skipped instead of refused.</param>
    public int[] MatchColumns(IReadOnlyList<string> model, bool ignoreOtherNamedColumns = false)
    {
        var identity = Enumerable.Range(0, model.Count).ToArray();
        if (Columns != model.Count && !(ignoreOtherNamedColumns && Names is not null && Columns > model.Count))
        {
            throw ServeProblem.BadBatch("wrong-column-count", "The batch does not have the model's number of columns.",
                $"The batch has {Columns} columns{(Names is null ? "" : $" ({Preview(Names)})")} but the model was trained on {model.Count} features ({Preview(model)}). " +
                "Send exactly the model's feature columns, no label or id column (GET /v1/models/{name} lists them).");
        }

        static bool Generated(IReadOnlyList<string> names) => names.Select((n, i) => n == $"col{i}").All(b => b);
        if (Names is null || Names.SequenceEqual(model, StringComparer.Ordinal) || (Columns == model.Count && (Generated(Names) || Generated(model))))
        {
            return identity;
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Names.Count; i++)
        {
            if (!index.TryAdd(Names[i], i))
            {
                throw ServeProblem.BadBatch("duplicate-column", "A column name appears twice.", $"Column '{Names[i]}' appears twice in the batch; name each of the model's features once.");
            }
        }

        var missing = model.Where(n => !index.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
        {
            throw ServeProblem.BadBatch("wrong-columns", "The batch's columns are not the model's features.",
                $"The batch's columns do not match the model's features: missing {string.Join(", ", missing)}; unexpected {string.Join(", ", Names.Except(model, StringComparer.Ordinal))}. " +
                "Name the columns as the model's features (any order), or send them unnamed in the model's order.");
        }

        return model.Select(n => index[n]).ToArray();
    }

    private static string Preview(IReadOnlyList<string> names) =>
        names.Count <= 8 ? string.Join(", ", names) : string.Join(", ", names.Take(8)) + $", … {names.Count - 8} more";
}
