namespace Acr.Host.Data;

/// <summary>
/// How <see cref="CsvDatasetReader"/> interprets a CSV file.
/// </summary>
/// <remarks>
/// Column references (<see cref="LabelColumn"/>, <see cref="GroupColumn"/>, <see cref="Drop"/>) are
/// either a column name or a 0-based index; a negative index counts from the end (-1 is the last
/// column). A reference that exactly matches a column name is taken as that name, so a header
/// column literally called <c>3</c> wins over index 3. Files without a header have the synthetic
/// column names <c>col0</c>, <c>col1</c>, ….
/// </remarks>
public sealed record CsvReadOptions
{
    /// <summary>The column holding the (string) label of each row, or <see langword="null"/> when there is none.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The column holding a group or task id for each row, or <see langword="null"/> when there is none.</summary>
    public string? GroupColumn { get; init; }

    /// <summary>Columns to leave out of the features.</summary>
    public IReadOnlyList<string> Drop { get; init; } = [];

    /// <summary>
    /// Whether the first row is a header. <see langword="null"/> (the default) auto-detects: the first
    /// row is a header if any of its fields, other than the label, group and dropped columns given by
    /// index, is neither a number nor empty.
    /// </summary>
    public bool? HasHeader { get; init; }

    /// <summary>
    /// The field separator. It cannot be a quote or a line break. <see langword="null"/> (the default) detects it from
    /// the first line among <c>,</c> <c>;</c> tab and <c>|</c> (see <see cref="CsvDatasetReader"/>): the one candidate
    /// that occurs outside quotes, or, when several do, the one that occurs as often in the second line; a line with
    /// none of them is one column. When that leaves several, reading fails with a message listing them.
    /// </summary>
    public char? Delimiter { get; init; }

    /// <summary>The file's text encoding (default UTF-8, strictly: an invalid byte is refused with its offset and the fix).</summary>
    public CsvTextEncoding Encoding { get; init; } = CsvTextEncoding.Utf8;

    /// <summary>
    /// Text columns to one-hot encode (column references, like <see cref="Drop"/>); their categories are learnt from the
    /// training rows (see <see cref="CategoryDistributions"/>). Not with <see cref="KnownCategories"/>.
    /// </summary>
    public IReadOnlyList<string> Categorical { get; init; } = [];

    /// <summary>
    /// One-hot encode every feature column whose first data row holds text (neither a number nor a missing value), as if
    /// each were listed in <see cref="Categorical"/>.
    /// </summary>
    public bool CategoricalAuto { get; init; }

    /// <summary>
    /// Encode these columns with exactly these categories (a saved model's): located by name, or in a headerless file by
    /// <see cref="CategoricalColumn.FeatureIndex"/>; a value outside them is all zeros and reported through <see cref="Warn"/>.
    /// </summary>
    public IReadOnlyList<CategoricalColumn>? KnownCategories { get; init; }

    /// <summary>
    /// Which distributions are training distributions, given the distinct values (ordinal order) of the group column, else
    /// the label column: categories are learnt from their rows only, as the preprocessing is. <see langword="null"/>: every row.
    /// </summary>
    public Func<IReadOnlyList<string>, IReadOnlyCollection<string>>? CategoryDistributions { get; init; }

    /// <summary>Receives warnings (e.g. values outside a categorical column's categories); <see langword="null"/> to drop them.</summary>
    public Action<string>? Warn { get; init; }
}
