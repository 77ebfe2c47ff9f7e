using Acr.Numerics;

namespace Acr.Host.Training;

/// <summary>
/// Draws ACR training tasks: a task picks one training class uniformly; its normal rows are drawn
/// from that class without replacement (with replacement only if the class is smaller than the
/// task's normal share), its anomalies uniformly without replacement from the rows of all other
/// training classes. Allocation-free after construction: draws are partial Fisher–Yates shuffles of
/// persistent permutations, which stay uniform whatever order earlier draws left them in. A draw yields row
/// indices; the rows themselves are gathered where the data lives (on the device, by <see cref="MetaTrainingSession"/>).
/// </summary>
public sealed class TaskSampler
{
    private readonly float[] _features;
    private readonly int _featureCount;
    private readonly int[][] _classRows;
    private readonly int[] _allRows;
    private readonly int[] _classOfRow;
    private readonly int _normalRows;
    private readonly int _anomalyRows;
    private SeededRandom _random;

    /// <summary>Creates a sampler.</summary>
    /// <param name="features">Row-major feature matrix (rows × <paramref name="featureCount"/>).</param>
    /// <param name="featureCount">Features per row.</param>
    /// <param name="rowsByClass">Row indices of each training class (at least two classes with rows).</param>
    /// <param name="taskSize">Rows per task.</param>
    /// <param name="normalRows">Normal rows per task (the rest are anomalies).</param>
    /// <param name="random">Randomness.</param>
    /// <exception cref="ArgumentException">Fewer than two classes, an empty class, or too few rows for the anomalies.</exception>
    public TaskSampler(float[] features, int featureCount, IReadOnlyList<int[]> rowsByClass, int taskSize, int normalRows, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(rowsByClass);
        ArgumentNullException.ThrowIfNull(random);
        if (rowsByClass.Count < 2)
        {
            throw new ArgumentException($"ACR needs at least 2 training classes (each task takes its anomalies from the others); got {rowsByClass.Count}.");
        }

        _features = features;
        _featureCount = featureCount;
        _classRows = rowsByClass.Select(r => r.ToArray()).ToArray();
        for (var c = 0; c < _classRows.Length; c++)
        {
            if (_classRows[c].Length == 0)
            {
                throw new ArgumentException($"Training class {c} has no rows.");
            }
        }

        _allRows = _classRows.SelectMany(r => r).ToArray();
        _classOfRow = new int[features.Length / Math.Max(1, featureCount)];
        for (var c = 0; c < _classRows.Length; c++)
        {
            foreach (var r in _classRows[c])
            {
                _classOfRow[r] = c;
            }
        }

        _normalRows = normalRows;
        _anomalyRows = taskSize - normalRows;
        var smallestComplement = _classRows.Min(r => _allRows.Length - r.Length);
        if (_anomalyRows > smallestComplement)
        {
            var tight = Array.FindIndex(_classRows, r => _allRows.Length - r.Length == smallestComplement);
            throw new ArgumentException($"A task needs {_anomalyRows} anomalies but training class #{tight + 1} has only {smallestComplement} rows in the other training classes; lower the task size or the anomaly ratio.");
        }

        _random = random;
        TaskSize = taskSize;
    }

    /// <summary>Rows per task.</summary>
    public int TaskSize { get; }

    /// <summary>The row-major feature matrix the indices point into.</summary>
    public ReadOnlyMemory<float> Features => _features;

    /// <summary>Features per row.</summary>
    public int FeatureCount => _featureCount;

    /// <summary>Rows of <see cref="Features"/>.</summary>
    public int Rows => _classOfRow.Length;

    /// <summary>Creates a sampler for <paramref name="options"/>; a data set too small for the tasks is a usage error.</summary>
    /// <param name="features">Row-major, preprocessed features.</param>
    /// <param name="featureCount">Features per row.</param>
    /// <param name="rowsByClass">Row indices of each training distribution.</param>
    /// <param name="options">Task size and anomaly ratio.</param>
    /// <param name="random">Randomness.</param>
    /// <exception cref="AcrUsageException">The data cannot fill the tasks; the message names the settings to change.</exception>
    public static TaskSampler Create(float[] features, int featureCount, IReadOnlyList<int[]> rowsByClass, MetaTrainingOptions options, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return new TaskSampler(features, featureCount, rowsByClass, options.TaskSize, options.NormalRowsPerTask, random);
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException($"{e.UserMessage()} (settings: --task-size {options.TaskSize}, --anomaly-ratio {options.AnomalyRatio}; or choose more --train-classes)", e);
        }
    }

    /// <summary>
    /// Draws <paramref name="tasks"/> consecutive tasks: <paramref name="rows"/> gets the row index of every task row
    /// (normal rows first within each task, then anomalies) and <paramref name="isAnomaly"/> 0/1 per row.
    /// </summary>
    /// <param name="tasks">Number of tasks.</param>
    /// <param name="rows">tasks × TaskSize row indices into <see cref="Features"/>.</param>
    /// <param name="isAnomaly">tasks × TaskSize values.</param>
    public void Sample(int tasks, Span<int> rows, Span<float> isAnomaly)
    {
        if (rows.Length != tasks * TaskSize || isAnomaly.Length != tasks * TaskSize)
        {
            throw new ArgumentException("Task buffers do not match tasks × task size.");
        }

        var row = 0;
        for (var t = 0; t < tasks; t++)
        {
            var cls = _random.NextInt(_classRows.Length);
            var own = _classRows[cls];
            if (own.Length >= _normalRows)
            {
                for (var k = 0; k < _normalRows; k++)
                {
                    var j = k + _random.NextInt(own.Length - k);
                    (own[k], own[j]) = (own[j], own[k]);
                    Take(own[k], row++, rows, isAnomaly, 0f);
                }
            }
            else
            {
                for (var k = 0; k < _normalRows; k++)
                {
                    Take(own[_random.NextInt(own.Length)], row++, rows, isAnomaly, 0f);
                }
            }

            // Anomalies: partial Fisher–Yates over all training rows, skipping the task's own class.
            var taken = 0;
            for (var k = 0; taken < _anomalyRows; k++)
            {
                var j = k + _random.NextInt(_allRows.Length - k);
                (_allRows[k], _allRows[j]) = (_allRows[j], _allRows[k]);
                if (_classOfRow[_allRows[k]] != cls)
                {
                    Take(_allRows[k], row++, rows, isAnomaly, 1f);
                    taken++;
                }
            }
        }
    }

    /// <summary>
    /// Everything that determines the sampler's future draws: the current order of each class's rows and of all training
    /// rows (the draws shuffle them in place) and the random generator's state. <see cref="RestoreState"/> on a sampler
    /// built from the same data continues with exactly the tasks this one would draw next.
    /// </summary>
    public TaskSamplerState CaptureState() => new([.. _classRows.Select(r => r.ToArray())], [.. _allRows], _random.State);

    /// <summary>Continues from <paramref name="state"/> (see <see cref="CaptureState"/>).</summary>
    /// <param name="state">A state captured from a sampler over the same rows and classes.</param>
    /// <exception cref="ArgumentException">
    /// The state does not fit this sampler: another number of classes, or an order that is not a permutation of the
    /// class's rows (a checkpoint of other data, or a corrupted one); or an invalid generator state.
    /// </exception>
    public void RestoreState(TaskSamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.ClassRows.Count != _classRows.Length)
        {
            throw new ArgumentException($"The saved sampler has {state.ClassRows.Count} training classes; this one has {_classRows.Length}.", nameof(state));
        }

        for (var c = 0; c < _classRows.Length; c++)
        {
            RequirePermutation(state.ClassRows[c], _classRows[c], $"training class #{c + 1}");
        }

        RequirePermutation(state.AllRows, _allRows, "all training rows");
        var random = SeededRandom.FromState(state.Random);
        for (var c = 0; c < _classRows.Length; c++)
        {
            state.ClassRows[c].CopyTo(_classRows[c], 0);
        }

        state.AllRows.CopyTo(_allRows, 0);
        _random = random;
    }

    private static void RequirePermutation(int[] saved, int[] current, string what)
    {
        ArgumentNullException.ThrowIfNull(saved);
        if (saved.Length != current.Length)
        {
            throw new ArgumentException($"The saved order of {what} has {saved.Length} rows; this sampler has {current.Length}.");
        }

        var a = saved.ToArray();
        var b = current.ToArray();
        Array.Sort(a);
        Array.Sort(b);
        if (!a.AsSpan().SequenceEqual(b))
        {
            throw new ArgumentException($"The saved order of {what} is not an order of this sampler's rows.");
        }
    }

    private static void Take(int source, int destination, Span<int> rows, Span<float> isAnomaly, float label)
    {
        rows[destination] = source;
        isAnomaly[destination] = label;
    }
}

/// <summary>The state of a <see cref="TaskSampler"/> (see <see cref="TaskSampler.CaptureState"/>).</summary>
/// <param name="ClassRows">The current order of each training class's row indices.</param>
/// <param name="AllRows">The current order of all training rows (the anomaly draws shuffle it).</param>
/// <param name="Random">The random generator's state.</param>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "A plain snapshot of index arrays.")]
public sealed record TaskSamplerState(IReadOnlyList<int[]> ClassRows, int[] AllRows, SeededRandomState Random);
