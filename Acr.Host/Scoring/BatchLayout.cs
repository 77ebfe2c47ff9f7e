namespace Acr.Host.Scoring;

/// <summary>
/// How the rows of a data set split into scoring batches. The batch is the batch-norm statistics in batch mode:
/// each batch should be a sample of one distribution. Rows are scored in <see cref="Order"/>, batch after batch.
/// </summary>
public sealed class BatchLayout
{
    /// <summary>Largest --batch-size accepted: the rows one forward pass may hold, as in training (<see cref="Training.MetaTrainingOptions.MaxRowsPerIteration"/>).</summary>
    public const int MaxBatchSize = Training.MetaTrainingOptions.MaxRowsPerIteration;

    private BatchLayout(int[] order, int[] lengths, string[] batchIds)
    {
        Order = order;
        Lengths = lengths;
        BatchIds = batchIds;
    }

    /// <summary>The data row at each scoring position (batches are contiguous runs of positions).</summary>
    public IReadOnlyList<int> Order { get; }

    /// <summary>Rows per batch, in scoring order.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>The batch id of each scoring position (the group value, or the batch's index).</summary>
    public IReadOnlyList<string> BatchIds { get; }

    /// <summary>Number of batches.</summary>
    public int Count => Lengths.Count;

    /// <summary>One batch per group value, in order of first appearance; rows keep their file order within a group.</summary>
    /// <param name="groups">The group of each row.</param>
    /// <param name="batchMode">Whether the batches will be scored in batch mode (then a one-row group is refused).</param>
    /// <exception cref="AcrUsageException">A group has one row in batch mode.</exception>
    public static BatchLayout ByGroup(IReadOnlyList<string> groups, bool batchMode)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var byGroup = Enumerable.Range(0, groups.Count).GroupBy(r => groups[r], StringComparer.Ordinal).ToArray();
        var small = byGroup.FirstOrDefault(g => g.Count() < 2);
        if (batchMode && small is not null)
        {
            throw new AcrUsageException($"Group '{small.Key}' has only one row; batch mode needs at least 2 rows per batch to have a mean and variance. Merge it with another group or score with --mode running.");
        }

        return new BatchLayout(
            byGroup.SelectMany(g => g).ToArray(),
            byGroup.Select(g => g.Count()).ToArray(),
            byGroup.SelectMany(g => g.Select(_ => g.Key)).ToArray());
    }

    /// <summary>Consecutive rows in batches of <paramref name="batchSize"/>; a last batch of one row joins the one before.</summary>
    /// <param name="rows">Number of rows.</param>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="batchMode">Whether the batches will be scored in batch mode (then batches of one row are refused).</param>
    /// <exception cref="AcrUsageException">The batch size is not positive, or a batch of one row is unavoidable in batch mode.</exception>
    public static BatchLayout Consecutive(int rows, int batchSize, bool batchMode)
    {
        if (batchSize is < 1 or > MaxBatchSize)
        {
            throw new AcrUsageException($"--batch-size must be between 1 and {MaxBatchSize}; got {batchSize}.");
        }

        if (batchMode && batchSize < 2)
        {
            throw new AcrUsageException($"--batch-size {batchSize}: batch norm in batch mode centres each batch by its own mean and variance, which a batch of one row does not have. Use --batch-size 2 or more (e.g. 256).");
        }

        if (batchMode && rows < 2)
        {
            throw new AcrUsageException("The data has one row; batch mode needs at least 2 rows in a batch to have a mean and variance.");
        }

        var lengths = new List<int>();
        for (var start = 0; start < rows; start += batchSize)
        {
            lengths.Add(Math.Min(batchSize, rows - start));
        }

        if (lengths.Count > 1 && lengths[^1] < 2)
        {
            lengths[^2] += lengths[^1];
            lengths.RemoveAt(lengths.Count - 1);
        }

        var ids = new string[rows];
        var row = 0;
        for (var b = 0; b < lengths.Count; b++)
        {
            var id = b.ToString(CultureInfo.InvariantCulture);
            for (var k = 0; k < lengths[b]; k++)
            {
                ids[row++] = id;
            }
        }

        return new BatchLayout(Enumerable.Range(0, rows).ToArray(), [.. lengths], ids);
    }
}
