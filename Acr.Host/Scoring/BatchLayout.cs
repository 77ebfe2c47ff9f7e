namespace Acr.Host.Scoring;

/// <summary>
/// How the rows of a data set split into scoring batches (made by <see cref="Plan"/> with the rule of
/// <see cref="BatchPlan"/>). The batch is the batch-norm statistics in batch mode: each batch should be a sample of one
/// distribution. Rows are scored in <see cref="Order"/>, batch after batch.
/// </summary>
public sealed class BatchLayout
{
    /// <summary>Largest --batch-size accepted: the rows one forward pass may hold, as in training (<see cref="Training.MetaTrainingOptions.MaxRowsPerIteration"/>).</summary>
    public const int MaxBatchSize = BatchPlan.MaxBatchSize;

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

    /// <summary>The batch id of each scoring position (the group value, <c>value#k</c> for a group of several batches, or the batch's index).</summary>
    public IReadOnlyList<string> BatchIds { get; }

    /// <summary>Number of batches.</summary>
    public int Count => Lengths.Count;

    /// <summary>
    /// The batches of <paramref name="rows"/> rows under <paramref name="request"/>: per group (in order of first
    /// appearance; a group's rows need not be contiguous here) or over the whole data, by the rule of <see cref="BatchPlan"/>.
    /// </summary>
    /// <param name="rows">Number of rows.</param>
    /// <param name="groups">The group of each row, or null.</param>
    /// <param name="request">Batch size, order, seed and window.</param>
    /// <param name="features">Features per row (bounds the window, see <see cref="BatchPlan.WindowRows"/>).</param>
    /// <exception cref="AcrUsageException">The request is out of range, or a batch of one row is unavoidable in batch mode.</exception>
    public static BatchLayout Plan(int rows, IReadOnlyList<string>? groups, ScoringRequest request, int features)
    {
        BatchPlan.Validate(request);
        var batchMode = request.Mode == Nn.BatchNormMode.Batch;
        var windowRows = BatchPlan.WindowRows(request.BatchSize, request.WindowBatches, features);
        var order = new List<int>(rows);
        var lengths = new List<int>();
        var ids = new List<string>(rows);
        if (groups is null)
        {
            if (batchMode && rows < 2)
            {
                throw new AcrUsageException("The data has one row; batch mode needs at least 2 rows in a batch to have a mean and variance.");
            }

            AddRun(Enumerable.Range(0, rows).ToArray(), 0, null);
        }
        else
        {
            if (groups.Count != rows)
            {
                throw new ArgumentException($"groups has {groups.Count} entries for {rows} rows.", nameof(groups));
            }

            var byGroup = Enumerable.Range(0, rows).GroupBy(r => groups[r], StringComparer.Ordinal).Select(g => (g.Key, Rows: g.ToArray())).ToArray();
            var small = byGroup.FirstOrDefault(g => g.Rows.Length < 2);
            if (batchMode && small.Rows is not null)
            {
                throw new AcrUsageException(OneRowGroup(small.Key));
            }

            for (var g = 0; g < byGroup.Length; g++)
            {
                AddRun(byGroup[g].Rows, g, byGroup[g].Key);
            }
        }

        return new BatchLayout([.. order], [.. lengths], [.. ids]);

        void AddRun(int[] runRows, int run, string? group)
        {
            var start = 0;
            var window = 0;
            var groupBatches = 0;
            var windows = BatchPlan.Windows(runRows.Length, windowRows, request.BatchSize).ToArray();
            foreach (var n in windows)
            {
                var positions = new int[n];
                BatchPlan.Positions(positions, request.Order, request.Seed, run, window);
                var batchLengths = BatchPlan.BatchLengths(n, request.BatchSize, request.Order);
                var single = windows.Length == 1 && batchLengths.Length == 1;
                var p = 0;
                foreach (var length in batchLengths)
                {
                    var id = group is null
                        ? lengths.Count.ToString(CultureInfo.InvariantCulture)
                        : BatchPlan.GroupBatchId(group, groupBatches, single);
                    for (var k = 0; k < length; k++)
                    {
                        order.Add(runRows[start + positions[p++]]);
                        ids.Add(id);
                    }

                    lengths.Add(length);
                    groupBatches++;
                }

                start += n;
                window++;
            }
        }
    }

    /// <summary>The message for a one-row group in batch mode.</summary>
    /// <param name="group">The group value.</param>
    internal static string OneRowGroup(string group) =>
        $"Group '{group}' has only one row; batch mode needs at least 2 rows per batch to have a mean and variance. Merge it with another group or score with --mode running.";
}
