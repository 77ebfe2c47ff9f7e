namespace Acr.Host.Evaluation;

/// <summary>
/// The zero-shot-by-class split: classes sorted with ordinal string order; the first floor(K/2) are
/// training distributions, the rest test distributions never seen in training.
/// </summary>
public sealed class ClassSplit
{
    private ClassSplit(string[] train, string[] test, int[][] trainRows, int[][] testRows)
    {
        TrainClasses = train;
        TestClasses = test;
        TrainRowsByClass = trainRows;
        TestRowsByClass = testRows;
    }

    /// <summary>Training classes, in ordinal order.</summary>
    public IReadOnlyList<string> TrainClasses { get; }

    /// <summary>Test classes, in ordinal order.</summary>
    public IReadOnlyList<string> TestClasses { get; }

    /// <summary>Row indices of each training class.</summary>
    public IReadOnlyList<int[]> TrainRowsByClass { get; }

    /// <summary>Row indices of each test class.</summary>
    public IReadOnlyList<int[]> TestRowsByClass { get; }

    /// <summary>All training rows, class by class.</summary>
    public int[] AllTrainRows() => TrainRowsByClass.SelectMany(r => r).ToArray();

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

        string[] train;
        if (trainClasses is { Count: > 0 })
        {
            var unknown = trainClasses.Where(c => !classes.Contains(c, StringComparer.Ordinal)).ToArray();
            if (unknown.Length > 0)
            {
                throw new AcrUsageException($"Training class(es) {string.Join(", ", unknown)} do not occur in the label column; classes are: {string.Join(", ", classes)}.");
            }

            train = [.. trainClasses.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }
        else
        {
            train = classes[..(classes.Length / 2)];
        }

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

        return new ClassSplit(
            train,
            test,
            train.Select(c => rowsByClass[index[c]].ToArray()).ToArray(),
            test.Select(c => rowsByClass[index[c]].ToArray()).ToArray());
    }
}
