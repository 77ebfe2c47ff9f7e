using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Acr.Host.Models;

namespace Acr.Host.Scoring.Streaming;

/// <summary>What a streaming run scored.</summary>
/// <param name="Rows">Rows scored.</param>
/// <param name="Batches">Batches scored.</param>
/// <param name="Windows">Windows read.</param>
/// <param name="SmallestBatch">Rows of the smallest batch.</param>
/// <param name="SmallBatches">Batches with fewer rows than <see cref="SmallBatchRows"/>.</param>
/// <param name="SmallBatchRows">The training task size divided by <see cref="BatchPlan.SmallBatchFactor"/>.</param>
internal sealed record StreamingSummary(long Rows, long Batches, long Windows, int SmallestBatch, long SmallBatches, int SmallBatchRows);

/// <summary>
/// <c>acr score</c> as a pipeline in constant memory: a reader thread parses rows into windows (<see cref="BatchPlan"/>:
/// the same batches as <see cref="TrainedModel.Score"/>), the calling thread scores each window's batches on the model's
/// backend, and a writer thread writes the scores in file order. At most <see cref="InFlight"/> windows exist at once,
/// whatever the file's size.
/// </summary>
internal sealed class StreamingScorer
{
    /// <summary>Most rows scored in one forward pass (whole batches; one batch may be larger).</summary>
    public const int MaxPassRows = 1 << 13;

    /// <summary>Windows queued between two stages.</summary>
    private const int QueueCapacity = 1;

    /// <summary>Most windows alive at once: one being read, one queued to score, one being scored, one queued to write, one being written.</summary>
    public const int InFlight = 3 + (2 * QueueCapacity);

    private readonly TrainedModel _model;

    /// <summary>Scores with <paramref name="model"/>.</summary>
    /// <param name="model">The trained model.</param>
    public StreamingScorer(TrainedModel model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <summary>Reads every row of <paramref name="source"/>, scores it and writes it to the sink.</summary>
    /// <param name="source">The rows (its feature columns are matched to the model's by name).</param>
    /// <param name="sink">Makes the sink, once the columns are known (argument: whether rows have labels).</param>
    /// <param name="request">Batching, order, seed and batch-norm mode.</param>
    /// <param name="cancellation">Stops the run.</param>
    public StreamingSummary Run(IRowSource source, Func<bool, IScoreSink> sink, ScoringRequest request, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(request);
        BatchPlan.Validate(request);
        var features = _model.Config.FeatureNames.Count;
        source.SelectColumns(FeatureColumns.Match(source.FeatureNames, _model.Config.FeatureNames, source.HasHeader));
        var output = sink(source.HasLabels);
        var windowRows = BatchPlan.WindowRows(request.BatchSize, request.WindowBatches, features);
        var smallRows = Math.Max(2, _model.Config.Training.TaskSize / BatchPlan.SmallBatchFactor);
        var pool = new ConcurrentBag<ScoreWindow>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var toScore = new BlockingCollection<ScoreWindow>(QueueCapacity);
        using var toWrite = new BlockingCollection<ScoreWindow>(QueueCapacity);
        ExceptionDispatchInfo? failure = null;
        void Fail(Exception e)
        {
            Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
            stop.Cancel();
        }

        var reader = new Producer(source, request, features, windowRows, smallRows, pool, toScore, stop.Token)
        {
            Mean = [.. _model.Standardizer.Mean],
            Std = [.. _model.Standardizer.Std],
        };
        var readThread = new Thread(() =>
        {
            try
            {
                reader.Run();
            }
            catch (Exception e)
            {
                Fail(e);
            }
            finally
            {
                toScore.CompleteAdding();
            }
        }) { IsBackground = true, Name = "acr score: read" };
        var writeThread = new Thread(() =>
        {
            try
            {
                foreach (var window in toWrite.GetConsumingEnumerable(stop.Token))
                {
                    output.Write(window);
                    pool.Add(window);
                }

                output.Complete();
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }) { IsBackground = true, Name = "acr score: write" };
        readThread.Start();
        writeThread.Start();
        try
        {
            using var scorer = new ZeroShotScorer(_model.Model, _model.Backend);
            foreach (var window in toScore.GetConsumingEnumerable(stop.Token))
            {
                Score(scorer, window, features, request.Mode, _model.Config.Selection?.Choice);
                toWrite.Add(window, stop.Token);
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            toWrite.CompleteAdding();
        }

        readThread.Join();
        writeThread.Join();
        failure?.Throw();
        cancellation.ThrowIfCancellationRequested();
        return reader.Summary();
    }

    /// <summary>
    /// Scores a window's batches in passes of at most <see cref="MaxPassRows"/> rows, one batch-norm segment per batch; in
    /// batch mode with a validated recipe whose choice is not plain ACR, with that choice (<see cref="Recipes.ComponentScorer"/>).
    /// </summary>
    private void Score(ZeroShotScorer scorer, ScoreWindow w, int features, Nn.BatchNormMode mode, Recipes.ScorerChoice? choice)
    {
        var chosen = mode == Nn.BatchNormMode.Batch && choice is not null && choice != Recipes.ScorerChoice.AcrOnly ? choice : null;
        var n = w.Rows;
        RowGather.Gather(w.Features.AsSpan(0, n * features), features, w.Positions.AsSpan(0, n), w.Gathered.AsSpan(0, n * features));
        var lengths = w.Lengths;
        var position = 0;
        for (var b0 = 0; b0 < lengths.Length;)
        {
            var b1 = b0;
            var rows = 0;
            while (b1 < lengths.Length && (rows == 0 || rows + lengths[b1] <= MaxPassRows))
            {
                rows += lengths[b1++];
            }

            if (chosen is not null)
            {
                var passLengths = lengths[b0..b1];
                foreach (var length in passLengths)
                {
                    TrainedModel.CheckKnnBatch(chosen, length);
                }

                var passRows = w.Gathered.AsSpan(position * features, rows * features).ToArray();
                Recipes.ComponentScorer.Score(chosen, passRows, features, passLengths, _model.Model, _model.Backend).CopyTo(w.Scratch.AsSpan(position, rows));
            }
            else
            {
                using var segments = BatchSegments.Create(scorer.Backend, lengths.AsSpan(b0, b1 - b0));
                scorer.Score(w.Gathered.AsSpan(position * features, rows * features), segments, mode, w.Scratch.AsSpan(position, rows));
            }

            position += rows;
            b0 = b1;
        }

        for (var p = 0; p < n; p++)
        {
            w.Scores[w.Positions[p]] = w.Scratch[p];
        }
    }

    /// <summary>The reader stage: rows to standardized windows, cut and planned by <see cref="BatchPlan"/>.</summary>
    private sealed class Producer(IRowSource source, ScoringRequest request, int features, int windowRows, int smallRows,
        ConcurrentBag<ScoreWindow> pool, BlockingCollection<ScoreWindow> queue, CancellationToken stop)
    {
        private readonly int _capacity = windowRows + request.BatchSize;
        private ScoreWindow _current = null!;
        private string? _group;
        private long _run;
        private long _windowInRun;
        private int _batchesInRun;
        private long _batches;
        private long _windows;
        private long _rows;
        private int _smallest = int.MaxValue;
        private long _small;

        public double[] Mean { get; init; } = [];

        public double[] Std { get; init; } = [];

        public StreamingSummary Summary() => new(_rows, _batches, _windows, _smallest == int.MaxValue ? 0 : _smallest, _small, smallRows);

        public void Run()
        {
            var mean = Mean;
            var std = Std;
            var row = new float[features];
            var finished = new HashSet<string>(StringComparer.Ordinal);
            var labels = source.HasLabels;
            var groups = source.HasGroups;
            _run = groups ? -1 : 0;
            _current = Rent(0);
            while (source.ReadRow(row, out var label, out var group))
            {
                if ((_rows & 0xFFF) == 0)
                {
                    stop.ThrowIfCancellationRequested();
                }

                if (groups && !ReferenceEquals(group, _group) && !string.Equals(group, _group, StringComparison.Ordinal))
                {
                    if (_group is not null)
                    {
                        Emit(final: true);
                        finished.Add(_group);
                    }

                    if (finished.Contains(group!))
                    {
                        throw new AcrDataException(
                            $"Data file '{source.Source}': group '{group}' appears again at row {_rows + 1}, after other groups. Streaming scores a group when its rows end, so each group's rows must be consecutive: " +
                            "sort the file by the group column first (keeping the header on top), or score without --group.");
                    }

                    _group = group;
                    _run++;
                    _windowInRun = 0;
                    _batchesInRun = 0;
                }

                if (_current.Rows == _capacity)
                {
                    Emit(final: false);
                }

                var target = _current.Features.AsSpan(_current.Rows * features, features);
                for (var j = 0; j < features; j++)
                {
                    target[j] = (float)((row[j] - mean[j]) / std[j]);
                }

                if (labels)
                {
                    _current.Labels![_current.Rows] = label;
                }

                _current.Rows++;
                _rows++;
            }

            if (_rows == 0)
            {
                throw new AcrDataException($"Data file '{source.Source}' has no data rows; pass a file with at least one sample");
            }

            Emit(final: true);
        }

        private ScoreWindow Rent(long firstRow)
        {
            if (!pool.TryTake(out var w))
            {
                w = new ScoreWindow(_capacity, features, source.HasLabels);
            }

            w.FirstRow = firstRow;
            w.Rows = 0;
            return w;
        }

        private void Emit(bool final)
        {
            var w = _current;
            var n = final ? w.Rows : windowRows;
            if (final && n == 1 && request.Mode == Nn.BatchNormMode.Batch)
            {
                throw new AcrUsageException(_group is null
                    ? "The data has one row; batch mode needs at least 2 rows in a batch to have a mean and variance."
                    : BatchLayout.OneRowGroup(_group));
            }

            var next = Rent(w.FirstRow + n);
            if (!final)
            {
                var rest = w.Rows - n;
                Array.Copy(w.Features, (long)n * features, next.Features, 0, (long)rest * features);
                if (w.Labels is not null)
                {
                    Array.Copy(w.Labels, n, next.Labels!, 0, rest);
                }

                next.Rows = rest;
            }

            w.Rows = n;
            BatchPlan.Positions(w.Positions.AsSpan(0, n), request.Order, request.Seed, _run, _windowInRun);
            var lengths = BatchPlan.BatchLengths(n, request.BatchSize, request.Order);
            var single = final && _windowInRun == 0 && lengths.Length == 1;
            var ids = new string[lengths.Length];
            var p = 0;
            for (var b = 0; b < lengths.Length; b++)
            {
                ids[b] = _group is null
                    ? (_batches + b).ToString(CultureInfo.InvariantCulture)
                    : BatchPlan.GroupBatchId(_group, _batchesInRun + b, single);
                for (var k = 0; k < lengths[b]; k++)
                {
                    w.BatchOfRow[w.Positions[p++]] = b;
                }

                _smallest = Math.Min(_smallest, lengths[b]);
                if (lengths[b] < smallRows)
                {
                    _small++;
                }
            }

            w.Lengths = lengths;
            w.BatchIds = ids;
            _batches += lengths.Length;
            _batchesInRun += lengths.Length;
            _windowInRun++;
            _windows++;
            queue.Add(w, stop);
            _current = next;
        }
    }
}

