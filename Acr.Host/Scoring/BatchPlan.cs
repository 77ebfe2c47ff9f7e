using Acr.Numerics;

namespace Acr.Host.Scoring;

/// <summary>
/// The one rule that cuts rows into scoring batches, shared by the in-memory scorer (<see cref="BatchLayout.Plan"/>) and
/// the streaming one (<see cref="Streaming.StreamingScorer"/>), so both score the same batches bit for bit.
/// </summary>
/// <remarks>
/// <para>A <em>run</em> is the whole file, or one group (the rows with one value of the group column). A run is cut into
/// <em>windows</em> of consecutive rows: <see cref="WindowRows"/> rows each while more than <c>WindowRows + BatchSize</c>
/// rows are left, then one last window with the rest (so a last window has more than <c>BatchSize</c> rows whenever
/// the run had more than one window, and no window is a small remnant).</para>
/// <para>With <see cref="ScoringOrder.Shuffle"/> the rows of each window are permuted by a generator seeded from the seed,
/// the run's ordinal (groups in order of first appearance) and the window's index in its run, then cut into
/// <c>⌈n / BatchSize⌉</c> batches of near-equal size (sizes differ by at most one row, so a batch has at least
/// <c>BatchSize / 2</c> rows unless the whole run is smaller). Each batch is then a uniform random sample, without
/// replacement, of its window: the batch-norm statistics of a batch estimate those of the window whatever the file's order
/// inside the window. With <see cref="ScoringOrder.File"/> a window is cut into consecutive batches of <c>BatchSize</c>
/// rows, a last batch of one row joining the one before.</para>
/// <para>Why a window and not the whole file: a stream can only hold a bounded number of rows. The default window of 256
/// batches (65 536 rows at 256 rows per batch, 5 MB of 20 features) spreads any ordered stretch shorter than the window,
/// such as a sorted block of anomalies or a burst in a log, over 256 batches, while three windows in flight keep the
/// memory constant. A file sorted over its whole length needs a window as long as the file (<c>--window-batches</c>),
/// or a shuffle before scoring.</para>
/// </remarks>
public static class BatchPlan
{
    /// <summary>Largest batch size accepted (the rows one forward pass may hold, as in training).</summary>
    public const int MaxBatchSize = Training.MetaTrainingOptions.MaxRowsPerIteration;

    /// <summary>Most feature values one window may hold (64 MB of floats): caps <see cref="WindowRows"/> for wide data.</summary>
    public const long MaxWindowValues = 1L << 24;

    /// <summary>Largest <see cref="ScoringRequest.WindowBatches"/> accepted.</summary>
    public const int MaxWindowBatches = 1 << 20;

    /// <summary>
    /// The divisor of the training task size below which a batch is reported as small: batch-norm statistics of n rows
    /// have a relative standard deviation of the variance of about √(2/n), so a batch 4× smaller than the training tasks
    /// has twice the statistical noise the network was trained with (18% at 64 rows against 9% at 256).
    /// </summary>
    public const int SmallBatchFactor = 4;

    /// <summary>Refuses a request that cannot be scored, before any data is read.</summary>
    /// <param name="request">The request.</param>
    /// <exception cref="AcrUsageException">The batch size or window is out of range, or a batch of one row is asked for in batch mode.</exception>
    public static void Validate(ScoringRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.BatchSize is < 1 or > MaxBatchSize)
        {
            throw new AcrUsageException($"--batch-size must be between 1 and {MaxBatchSize} (the rows one forward pass may hold); got {request.BatchSize}. A typical batch is 256 rows.");
        }

        if (request.Mode == Nn.BatchNormMode.Batch && request.BatchSize < 2)
        {
            throw new AcrUsageException($"--batch-size {request.BatchSize}: batch norm in batch mode centres each batch by its own mean and variance, which a batch of one row does not have. Use --batch-size 2 or more (e.g. 256).");
        }

        if (request.WindowBatches is < 1 or > MaxWindowBatches)
        {
            throw new AcrUsageException($"--window-batches must be between 1 and {MaxWindowBatches}; got {request.WindowBatches}.");
        }

        if (!Enum.IsDefined(request.Order))
        {
            throw new ArgumentException($"Unknown scoring order {request.Order}.", nameof(request));
        }
    }

    /// <summary>
    /// Rows per window: <paramref name="windowBatches"/> batches of <paramref name="batchSize"/> rows, fewer batches (at
    /// least one) when their <paramref name="features"/> values would pass <see cref="MaxWindowValues"/>.
    /// </summary>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="windowBatches">Batches per window asked for.</param>
    /// <param name="features">Features per row.</param>
    public static int WindowRows(int batchSize, int windowBatches, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowBatches);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        var fit = Math.Max(1L, MaxWindowValues / ((long)features * batchSize));
        return (int)Math.Min((long)Math.Min(windowBatches, fit) * batchSize, Array.MaxLength / 2);
    }

    /// <summary>Whether a window of <paramref name="windowRows"/> rows is cut off a run that still has <paramref name="left"/> rows (see the remarks).</summary>
    /// <param name="left">Rows of the run not yet in a window (at least this many; the stream may have more).</param>
    /// <param name="windowRows">Rows per window.</param>
    /// <param name="batchSize">Rows per batch.</param>
    public static bool CutsWindow(long left, int windowRows, int batchSize) => left > (long)windowRows + batchSize;

    /// <summary>The sizes of the windows of a run of <paramref name="rows"/> rows, in order.</summary>
    /// <param name="rows">Rows in the run (≥ 1).</param>
    /// <param name="windowRows">Rows per window.</param>
    /// <param name="batchSize">Rows per batch.</param>
    public static IEnumerable<int> Windows(long rows, int windowRows, int batchSize)
    {
        var left = rows;
        while (CutsWindow(left, windowRows, batchSize))
        {
            yield return windowRows;
            left -= windowRows;
        }

        yield return (int)left;
    }

    /// <summary>The batch lengths of one window of <paramref name="rows"/> rows (see the remarks).</summary>
    /// <param name="rows">Rows in the window (≥ 1).</param>
    /// <param name="batchSize">Most rows per batch.</param>
    /// <param name="order">Shuffle (near-equal batches) or file order (full batches, a one-row remnant merged).</param>
    public static int[] BatchLengths(int rows, int batchSize, ScoringOrder order)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var count = (int)(((long)rows + batchSize - 1) / batchSize);
        if (order == ScoringOrder.File)
        {
            var lengths = new int[count];
            Array.Fill(lengths, batchSize);
            lengths[^1] = rows - ((count - 1) * batchSize);
            if (count > 1 && lengths[^1] < 2)
            {
                lengths[^2] += lengths[^1];
                return lengths[..^1];
            }

            return lengths;
        }

        if (count > 1 && rows / count < 2)
        {
            count = rows / 2; // only at --batch-size 2: batches of 2 and 3 rows rather than a batch of one
        }

        var equal = new int[count];
        var small = rows / count;
        var larger = rows % count;
        for (var b = 0; b < count; b++)
        {
            equal[b] = b < larger ? small + 1 : small;
        }

        return equal;
    }

    /// <summary>Fills <paramref name="positions"/> with the window's row (0-based within the window) at each scoring position.</summary>
    /// <param name="positions">One slot per row of the window.</param>
    /// <param name="order">Shuffle (a seeded permutation) or file order (the identity).</param>
    /// <param name="seed">The request's seed.</param>
    /// <param name="run">The run's ordinal: 0 without groups, else the group's index in order of first appearance.</param>
    /// <param name="window">The window's index within its run.</param>
    public static void Positions(Span<int> positions, ScoringOrder order, ulong seed, long run, long window)
    {
        for (var i = 0; i < positions.Length; i++)
        {
            positions[i] = i;
        }

        if (order == ScoringOrder.Shuffle)
        {
            var stream = unchecked(((ulong)run * 0xD1B54A32D192ED03UL) + (ulong)window + 0x5CA1AB1EUL);
            SeededRandom.ForStream(seed, stream).Shuffle(positions);
        }
    }

    /// <summary>The batch id written for batch <paramref name="index"/> of a group: the group value when the group is one batch, else <c>value#index</c>.</summary>
    /// <param name="group">The group value.</param>
    /// <param name="index">The batch's index within the group.</param>
    /// <param name="onlyBatch">Whether the group is a single batch.</param>
    public static string GroupBatchId(string group, int index, bool onlyBatch) =>
        onlyBatch ? group : string.Create(CultureInfo.InvariantCulture, $"{group}#{index}");
}
