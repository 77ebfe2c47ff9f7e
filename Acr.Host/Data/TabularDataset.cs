using System.Diagnostics.CodeAnalysis;

namespace Acr.Host.Data;

/// <summary>
/// A table of numeric features with an optional string label and an optional group per row.
/// Features are stored row-major: the value of row <c>i</c>, column <c>j</c> is
/// <c>Features[i * Columns + j]</c>.
/// </summary>
[SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "The data set is a plain, deliberately mutable container of large arrays handed to numeric code.")]
public sealed class TabularDataset
{
    /// <summary>Creates a data set; the arrays are used as they are, not copied.</summary>
    /// <param name="features">Row-major feature values, <paramref name="rows"/> × <paramref name="columns"/>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Number of feature columns.</param>
    /// <param name="featureNames">One name per feature column.</param>
    /// <param name="labels">One label per row, or <see langword="null"/> when the data has no label column.</param>
    /// <param name="groups">One group id per row, or <see langword="null"/> when the data has no group column.</param>
    /// <param name="source">Where the data came from (a path or a resource name), used in messages.</param>
    /// <exception cref="ArgumentException">The sizes of the arrays do not agree.</exception>
    public TabularDataset(
        float[] features,
        int rows,
        int columns,
        string[] featureNames,
        string[]? labels,
        string[]? groups,
        string source)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if ((long)rows * columns != features.Length)
        {
            throw new ArgumentException($"features has {features.Length} values but rows × columns = {rows} × {columns} = {(long)rows * columns}.", nameof(features));
        }

        if (featureNames.Length != columns)
        {
            throw new ArgumentException($"featureNames has {featureNames.Length} names but there are {columns} columns.", nameof(featureNames));
        }

        if (labels is not null && labels.Length != rows)
        {
            throw new ArgumentException($"labels has {labels.Length} entries but there are {rows} rows.", nameof(labels));
        }

        if (groups is not null && groups.Length != rows)
        {
            throw new ArgumentException($"groups has {groups.Length} entries but there are {rows} rows.", nameof(groups));
        }

        Features = features;
        Rows = rows;
        Columns = columns;
        FeatureNames = featureNames;
        Labels = labels;
        Groups = groups;
        Source = source;
    }

    /// <summary>Row-major feature values, <see cref="Rows"/> × <see cref="Columns"/>.</summary>
    public float[] Features { get; }

    /// <summary>Number of rows (samples).</summary>
    public int Rows { get; }

    /// <summary>Number of feature columns.</summary>
    public int Columns { get; }

    /// <summary>One name per feature column.</summary>
    public string[] FeatureNames { get; }

    /// <summary>The raw (trimmed) label of each row, or <see langword="null"/> when the data has no label column.</summary>
    public string[]? Labels { get; }

    /// <summary>The group or task id of each row, or <see langword="null"/> when the data has no group column.</summary>
    public string[]? Groups { get; }

    /// <summary>Where the data came from (a path or a resource name).</summary>
    public string Source { get; }

    /// <summary>
    /// Whether <see cref="FeatureNames"/> came from a header row (the default). <see langword="false"/> for a headerless
    /// file, whose columns are named col0, col1, … and are matched to a model's features by position.
    /// </summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>The one-hot encoded categorical columns, with the categories learnt from (or given for) the data; empty when there are none.</summary>
    public IReadOnlyList<CategoricalColumn> Categorical { get; init; } = [];

    /// <summary>
    /// When each row is an image (IDX image sets, image folders): its shape, C×H×W with C·H·W = <see cref="Columns"/>,
    /// pixels stored channel by channel, row by row. Detectors with an <c>input-shape</c> option take it from here when
    /// it is not given. Null for tabular data.
    /// </summary>
    public Acr.Tensors.ImageShape? ImageShape
    {
        get => _imageShape;
        init
        {
            if (value is { } shape && shape.Length != Columns)
            {
                throw new ArgumentException($"An image shape of {shape} holds {shape.Length} values but the rows have {Columns}.", nameof(value));
            }

            _imageShape = value;
        }
    }

    private readonly Acr.Tensors.ImageShape? _imageShape;

    /// <summary>The feature values of one row.</summary>
    /// <param name="row">0-based row index.</param>
    /// <returns>A view of <see cref="Columns"/> values into <see cref="Features"/>.</returns>
    public ReadOnlySpan<float> GetRow(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return Features.AsSpan(row * Columns, Columns);
    }

    /// <summary>
    /// A new data set with the given rows, in the given order (indices may repeat). Labels and
    /// groups follow their rows; feature names and source are kept.
    /// </summary>
    /// <param name="rows">0-based row indices.</param>
    /// <returns>The selected rows as a new data set with its own arrays.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside 0 … <see cref="Rows"/> − 1.</exception>
    public TabularDataset SelectRows(int[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int d = Columns;
        float[] features = new float[checked(rows.Length * d)];
        string[]? labels = Labels is null ? null : new string[rows.Length];
        string[]? groups = Groups is null ? null : new string[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int r = rows[i];
            if ((uint)r >= (uint)Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), r, $"Row index {r} (at position {i}) is outside 0..{Rows - 1} of '{Source}'.");
            }

            Array.Copy(Features, (long)r * d, features, (long)i * d, d);
            if (labels is not null)
            {
                labels[i] = Labels![r];
            }

            if (groups is not null)
            {
                groups[i] = Groups![r];
            }
        }

        return new TabularDataset(features, rows.Length, d, FeatureNames, labels, groups, Source) { HasHeader = HasHeader, Categorical = Categorical, ImageShape = ImageShape };
    }

    /// <summary>The distinct labels, sorted with <see cref="StringComparer.Ordinal"/>.</summary>
    /// <returns>The sorted distinct labels.</returns>
    /// <exception cref="AcrDataException">The data set has no label column.</exception>
    public string[] DistinctLabels()
    {
        if (Labels is null)
        {
            throw new AcrDataException($"Data '{Source}' has no label column; name one with --label (a column name or a 0-based index, -1 for the last column)");
        }

        string[] distinct = [.. new HashSet<string>(Labels, StringComparer.Ordinal)];
        Array.Sort(distinct, StringComparer.Ordinal);
        return distinct;
    }
}
