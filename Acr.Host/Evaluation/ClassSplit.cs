namespace Acr.Host.Evaluation;

/// <summary>
/// The zero-shot-by-class split: classes sorted with ordinal string order; the first floor(K/2) are
/// training distributions, the rest test distributions never seen in training.
/// </summary>
public sealed class ClassSplit
{
    /// <summary>Fewest rows a test class needs to be a test task: batch norm needs two rows, and one row would be a task of one normal and one anomaly whose AUROC is 0 or 1.</summary>
    public const int MinTestRows = 2;

    private ClassSplit(string[] train, string[] test, int[][] trainRows, int[][] testRows, string[] excluded)
    {
        ExcludedTestClasses = excluded;
        TrainClasses = train;
        TestClasses = test;
        TrainRowsByClass = trainRows;
        TestRowsByClass = testRows;
    }

    /// <summary>Training classes, in ordinal order.</summary>
    public IReadOnlyList<string> TrainClasses { get; }

    /// <summary>Test classes, in ordinal order.</summary>
    public IReadOnlyList<string> TestClasses { get; }

    /// <summary>Test classes left out because they have fewer than <see cref="MinTestRows"/> rows (neither tasks nor anomalies).</summary>
    public IReadOnlyList<string> ExcludedTestClasses { get; }

    /// <summary>Row indices of each training class.</summary>
    public IReadOnlyList<int[]> TrainRowsByClass { get; }

    /// <summary>Row indices of each test class.</summary>
    public IReadOnlyList<int[]> TestRowsByClass { get; }

    /// <summary>All training rows, class by class.</summary>
    public int[] AllTrainRows() => TrainRowsByClass.SelectMany(r => r).ToArray();

    /// <summary>The training classes: <paramref name="trainClasses"/> when given, else the first ⌊K/2⌋ of the K classes in ordinal order.</summary>
    /// <param name="classes">The distinct classes.</param>
    /// <param name="trainClasses">Explicit training classes, or null.</param>
    /// <exception cref="AcrUsageException">An explicit class does not occur.</exception>
    public static string[] TrainClassesOf(IReadOnlyList<string> classes, IReadOnlyList<string>? trainClasses)
    {
        ArgumentNullException.ThrowIfNull(classes);
        string[] sorted = [.. classes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (trainClasses is not { Count: > 0 })
        {
            return sorted[..(sorted.Length / 2)];
        }

        var unknown = trainClasses.Where(c => !sorted.Contains(c, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
        {
            throw new AcrUsageException($"Training class(es) {string.Join(", ", unknown)} do not occur in the label column; classes are: {string.Join(", ", sorted)}.");
        }

        return [.. trainClasses.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>Splits by label.</summary>
    /// <param name="labels">One label per row.</param>
    /// <param name="trainClasses">Explicit training classes, or null for the first floor(K/2).</param>
    /// <exception cref="AcrUsageException">Fewer than 4 classes (2 to train on, 2 to test), or an unknown class name.</exception>
    public static ClassSplit ByLabel(IReadOnlyList<string> labels, IReadOnlyList<string>? trainClasses = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var classes = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
        {
            throw new AcrUsageException($"The label column has {classes.Length} class(es); zero-shot by class needs at least 4 (2 to train on, 2 to test on). Check --label.");
        }

        var train = TrainClassesOf(classes, trainClasses);

        var test = classes.Except(train, StringComparer.Ordinal).ToArray();
        if (train.Length < 2 || test.Length < 2)
        {
            throw new AcrUsageException($"Zero-shot by class needs at least 2 training and 2 test classes; got {train.Length} and {test.Length} from {classes.Length} classes ({string.Join(", ", classes)}).");
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < classes.Length; i++)
        {
            index[classes[i]] = i;
        }

        var rowsByClass = classes.Select(_ => new List<int>()).ToArray();
        for (var r = 0; r < labels.Count; r++)
        {
            rowsByClass[index[labels[r]]].Add(r);
        }

        var excluded = test.Where(c => rowsByClass[index[c]].Count < MinTestRows).ToArray();
        var kept = test.Except(excluded, StringComparer.Ordinal).ToArray();
        if (kept.Length < 2)
        {
            throw new AcrUsageException(
                $"Zero-shot by class needs at least 2 test classes with {MinTestRows} or more rows; {string.Join(", ", excluded)} ha{(excluded.Length == 1 ? "s" : "ve")} fewer, " +
                $"leaving {kept.Length}. Use data with more rows per class, or choose other --train-classes.");
        }

        return new ClassSplit(
            train,
            kept,
            train.Select(c => rowsByClass[index[c]].ToArray()).ToArray(),
            kept.Select(c => rowsByClass[index[c]].ToArray()).ToArray(),
            excluded);
    }
}
