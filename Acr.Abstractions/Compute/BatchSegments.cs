namespace Acr.Compute;

/// <summary>
/// How the rows of a batch split into contiguous segments (tasks), each normalised by its own
/// batch-norm statistics. Segment <c>s</c> holds rows <c>[Start(s), Start(s) + Length(s))</c>.
/// Immutable, so a GPU backend may cache a device copy keyed by the instance.
/// </summary>
public sealed class BatchSegments : IEquatable<BatchSegments>
{
    private readonly int[] _offsets;

    private BatchSegments(int[] offsets)
    {
        _offsets = offsets;
        var first = Length(0);
        IsUniform = true;
        for (var s = 1; s < Count; s++)
        {
            if (Length(s) != first)
            {
                IsUniform = false;
                break;
            }
        }
    }

    /// <summary>Number of segments (≥ 1).</summary>
    public int Count => _offsets.Length - 1;

    /// <summary>Total number of rows over all segments.</summary>
    public int TotalRows => _offsets[^1];

    /// <summary>Whether every segment has the same length.</summary>
    public bool IsUniform { get; }

    /// <summary>The offsets: <c>Count + 1</c> ascending values from 0 to <see cref="TotalRows"/>.</summary>
    public ReadOnlySpan<int> Offsets => _offsets;

    /// <summary>First row of segment <paramref name="segment"/>.</summary>
    public int Start(int segment) => _offsets[segment];

    /// <summary>Number of rows of segment <paramref name="segment"/>.</summary>
    public int Length(int segment) => _offsets[segment + 1] - _offsets[segment];

    /// <summary>One segment spanning all <paramref name="rows"/> rows: plain batch norm.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is not positive.</exception>
    public static BatchSegments Whole(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        return new BatchSegments([0, rows]);
    }

    /// <summary><paramref name="count"/> consecutive segments of <paramref name="rowsPerSegment"/> rows each.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or length is not positive.</exception>
    public static BatchSegments Uniform(int count, int rowsPerSegment)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowsPerSegment);
        var offsets = new int[count + 1];
        for (var s = 0; s <= count; s++)
        {
            offsets[s] = s * rowsPerSegment;
        }

        return new BatchSegments(offsets);
    }

    /// <summary>Segments of the given lengths, in order.</summary>
    /// <exception cref="ArgumentException">No lengths, or a length that is not positive.</exception>
    public static BatchSegments FromLengths(ReadOnlySpan<int> lengths)
    {
        if (lengths.IsEmpty)
        {
            throw new ArgumentException("A batch needs at least one segment.", nameof(lengths));
        }

        var offsets = new int[lengths.Length + 1];
        for (var s = 0; s < lengths.Length; s++)
        {
            if (lengths[s] <= 0)
            {
                throw new ArgumentException($"Segment {s} has {lengths[s]} rows; every segment needs at least one row.", nameof(lengths));
            }

            offsets[s + 1] = checked(offsets[s] + lengths[s]);
        }

        return new BatchSegments(offsets);
    }

    /// <summary>The smallest segment length.</summary>
    public int MinLength()
    {
        var min = int.MaxValue;
        for (var s = 0; s < Count; s++)
        {
            min = Math.Min(min, Length(s));
        }

        return min;
    }

    /// <inheritdoc />
    public bool Equals(BatchSegments? other) =>
        other is not null && (ReferenceEquals(this, other) || _offsets.AsSpan().SequenceEqual(other._offsets));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as BatchSegments);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var o in _offsets)
        {
            hash.Add(o);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => IsUniform ? $"{Count} × {Length(0)} rows" : $"{Count} segments, {TotalRows} rows";
}
