namespace Acr.Host.Data;

/// <summary>
/// A text column one-hot encoded into one 0/1 feature per category, named <c>Column=Category</c>, in place of the
/// column. The categories are learnt from the training rows and saved with the model, so scoring encodes a file the
/// same way; a value that is not one of them (or is missing) encodes as all zeros.
/// </summary>
/// <param name="Column">The column's header name (<c>col&lt;i&gt;</c> in a headerless file).</param>
/// <param name="FeatureIndex">
/// The column's position among the file's feature columns, counting from 0 with the label, group and dropped columns
/// left out: where a headerless file has it.
/// </param>
/// <param name="Categories">The categories, distinct, in ordinal string order.</param>
public sealed record CategoricalColumn(string Column, int FeatureIndex, IReadOnlyList<string> Categories)
{
    /// <summary>The most categories one column may have: more is an identifier or free text, not a category.</summary>
    public const int MaxCategories = 1024;

    /// <summary>The name of the feature of category <paramref name="category"/>.</summary>
    /// <param name="category">0-based index into <see cref="Categories"/>.</param>
    public string FeatureName(int category) => $"{Column}={Categories[category]}";

    /// <summary>The index of <paramref name="value"/> in <see cref="Categories"/>, or -1 when it is not one (all-zero encoding).</summary>
    /// <param name="value">A trimmed cell value.</param>
    public int IndexOf(string value)
    {
        var categories = Categories as string[] ?? [.. Categories];
        var i = Array.BinarySearch(categories, value, StringComparer.Ordinal);
        return i >= 0 ? i : -1;
    }
}
