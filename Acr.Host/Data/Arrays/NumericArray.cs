namespace Acr.Host.Data.Arrays;

/// <summary>
/// A dense n-dimensional array read from an IDX or NPY file: its shape (outermost dimension
/// first, C order) and its values converted to <see cref="float"/>.
/// </summary>
public sealed class NumericArray
{
    /// <summary>Creates the array, checking that the shape matches the number of values.</summary>
    /// <param name="shape">The dimensions, outermost first; empty for a scalar.</param>
    /// <param name="values">The values in C (row-major) order.</param>
    /// <param name="source">Where the array came from, for messages.</param>
    public NumericArray(IReadOnlyList<int> shape, float[] values, string source)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);
        long count = 1;
        foreach (int d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }

        if (count != values.Length)
        {
            throw new ArgumentException($"The shape holds {count} values but {values.Length} were given.", nameof(values));
        }

        Shape = shape.ToArray();
        Values = values;
        Source = source;
    }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The values in C (row-major) order.</summary>
    public float[] Values { get; }

    /// <summary>Where the array came from (a file path), for messages.</summary>
    public string Source { get; }
}
