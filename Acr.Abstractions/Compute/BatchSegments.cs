namespace Acr.Compute;

/// <summary>
/// How the rows of a batch split into contiguous segments (tasks, or scoring batches), each normalised
/// by its own batch-norm statistics. Segment <c>s</c> holds rows <c>[Start(s), Start(s) + Length(s))</c>.
/// </summary>
/// <remarks>
/// Segments belong to one backend, which keeps a device copy of the offsets (<see cref="DeviceOffsets"/>,
/// an Int32 tensor of <c>Count + 1</c> elements) next to the host copy used for validation. They are valid
/// until disposed; ops queued before the dispose still see them (the device copy is released like any
/// tensor, after the work queued on it). The host copy stays readable after disposal.
/// </remarks>
public sealed class BatchSegments : IDisposable
{
    private readonly int[] _offsets;
    private readonly Tensor _device;

    private BatchSegments(ComputeBackend backend, int[] offsets)
    {
        _offsets = offsets;
        Backend = backend;
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

        _device = backend.Allocate(TensorShape.Vector(offsets.Length), DataType.Int32);
        backend.Upload(offsets, _device);
    }

    /// <summary>The backend these segments belong to.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>Number of segments (≥ 1).</summary>
    public int Count => _offsets.Length - 1;

    /// <summary>Total number of rows over all segments.</summary>
    public int TotalRows => _offsets[^1];

    /// <summary>Whether every segment has the same length.</summary>
    public bool IsUniform { get; }

    /// <summary>The offsets: <c>Count + 1</c> ascending values from 0 to <see cref="TotalRows"/>.</summary>
    public ReadOnlySpan<int> Offsets => _offsets;

    /// <summary>The offsets on the device, for kernels (an Int32 tensor of <c>Count + 1</c> elements).</summary>
    /// <exception cref="ObjectDisposedException">The segments were disposed.</exception>
    public Tensor DeviceOffsets => IsDisposed ? throw new ObjectDisposedException(nameof(BatchSegments), "These segments were disposed.") : _device;

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => _device.IsDisposed;

    /// <summary>First row of segment <paramref name="segment"/>.</summary>
    /// <param name="segment">Segment index.</param>
    public int Start(int segment) => _offsets[segment];

    /// <summary>Number of rows of segment <paramref name="segment"/>.</summary>
    /// <param name="segment">Segment index.</param>
    public int Length(int segment) => _offsets[segment + 1] - _offsets[segment];

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

    /// <summary>One segment spanning all <paramref name="rows"/> rows: plain batch norm.</summary>
    /// <param name="backend">The backend the segments are for.</param>
    /// <param name="rows">Number of rows, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is not positive.</exception>
    public static BatchSegments Whole(ComputeBackend backend, int rows)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        return new BatchSegments(backend, [0, rows]);
    }

    /// <summary><paramref name="count"/> consecutive segments of <paramref name="rowsPerSegment"/> rows each.</summary>
    /// <param name="backend">The backend the segments are for.</param>
    /// <param name="count">Number of segments, at least 1.</param>
    /// <param name="rowsPerSegment">Rows of each, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or length is not positive, or the total overflows.</exception>
    public static BatchSegments Uniform(ComputeBackend backend, int count, int rowsPerSegment)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowsPerSegment);
        if ((long)count * rowsPerSegment > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} segments of {rowsPerSegment} rows exceed {int.MaxValue} rows.");
        }

        var offsets = new int[count + 1];
        for (var s = 0; s <= count; s++)
        {
            offsets[s] = s * rowsPerSegment;
        }

        return new BatchSegments(backend, offsets);
    }

    /// <summary>Segments of the given lengths, in order.</summary>
    /// <param name="backend">The backend the segments are for.</param>
    /// <param name="lengths">The lengths, each at least 1.</param>
    /// <exception cref="ArgumentException">No lengths, or a length that is not positive.</exception>
    public static BatchSegments Create(ComputeBackend backend, ReadOnlySpan<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(backend);
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

        return new BatchSegments(backend, offsets);
    }

    /// <summary>Releases the device copy (after the work queued on it). Idempotent.</summary>
    public void Dispose() => _device.Dispose();

    /// <inheritdoc />
    public override string ToString() => IsUniform ? $"{Count} × {Length(0)} rows" : $"{Count} segments, {TotalRows} rows";
}
