namespace Acr.Host.Data;

/// <summary>
/// The host's one row gather: copies rows of a row-major feature matrix, by index, into a contiguous batch
/// (scoring batches, evaluation tasks). Training gathers its tasks on the device instead (the data is
/// uploaded once; only the indices travel).
/// </summary>
public static class RowGather
{
    /// <summary>Copies row <c>rows[i]</c> of <paramref name="features"/> to row i of <paramref name="destination"/>.</summary>
    /// <param name="features">Row-major matrix, any number of rows × <paramref name="columns"/>.</param>
    /// <param name="columns">Values per row.</param>
    /// <param name="rows">Row indices to take, in order (repeats allowed).</param>
    /// <param name="destination">Exactly <c>rows.Length × columns</c> values.</param>
    /// <exception cref="ArgumentException">The destination has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index lies outside the matrix.</exception>
    public static void Gather(ReadOnlySpan<float> features, int columns, ReadOnlySpan<int> rows, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (destination.Length != (long)rows.Length * columns)
        {
            throw new ArgumentException($"A gather of {rows.Length} rows of {columns} values needs {(long)rows.Length * columns} values; the destination has {destination.Length}.", nameof(destination));
        }

        var available = features.Length / columns;
        for (var i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            if ((uint)r >= (uint)available)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), r, $"Row index {r} (at position {i}) is outside 0..{available - 1}.");
            }

            features.Slice(r * columns, columns).CopyTo(destination.Slice(i * columns, columns));
        }
    }

    /// <summary>The rows <paramref name="rows"/> of <paramref name="features"/> as a new matrix.</summary>
    /// <param name="features">Row-major matrix.</param>
    /// <param name="columns">Values per row.</param>
    /// <param name="rows">Row indices to take.</param>
    public static float[] Gather(ReadOnlySpan<float> features, int columns, ReadOnlySpan<int> rows)
    {
        var result = new float[checked(rows.Length * columns)];
        Gather(features, columns, rows, result);
        return result;
    }
}
