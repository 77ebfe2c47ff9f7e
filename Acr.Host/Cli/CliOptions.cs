namespace Acr.Host.Cli;

/// <summary>Options shared by several commands; one instance per option so every command reads it the same way.</summary>
internal static class CliOptions
{
    public static Option<string> Backend() => new("--backend") { Description = "Compute backend (see 'acr devices').", DefaultValueFactory = _ => "cpu" };

    public static Option<int?> Device() => new("--device") { Description = "Device index within the backend (default: first usable)." };

    public static Option<int?> Threads() => new("--threads") { Description = "Worker threads of the CPU backend (default: all cores)." };

    public static Option<ulong> Seed() => new("--seed") { Description = "Seed: the same seed gives the same result.", DefaultValueFactory = _ => 0UL };

    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "No progress output (for scripts)." };

    public static Option<string> Detector() => new("--detector") { Description = "Detector to meta-train.", DefaultValueFactory = _ => "deep-svdd" };

    public static Option<string[]> DetectorOption() => new("--option") { Description = "Detector option key=value (repeatable), e.g. --option hidden=64.", AllowMultipleArgumentsPerToken = false };

    public static Option<string> Data() => new("--data") { Description = "CSV file (.csv or .csv.gz), IDX images file, a folder of images with one sub-folder per class (PNG, JPEG, …; the class is the folder name), or a data set by name: letter (embedded), digits (label: the last column) or vehicle (label: Class) after 'acr fetch', fashion-mnist or mnist (:test for the test split).", Required = true };

    public static Option<string?> Label(bool required) => new("--label") { Description = "Label column: name, 0-based index, or negative index from the end (-1 = last).", Required = required };

    public static Option<string?> Group() => new("--group") { Description = "Optional group/task column: each group is one distribution (train) or one batch (score)." };

    public static Option<string[]> Drop() => new("--drop") { Description = "Column to leave out (repeatable).", AllowMultipleArgumentsPerToken = false };

    public static Option<string> Header() => new("--header") { Description = "Whether the first row is a header: auto, yes or no.", DefaultValueFactory = _ => "auto" };

    public static Option<string> Delimiter() => new("--delimiter") { Description = "Field separator: , ; tab | or auto (detected from the first line).", DefaultValueFactory = _ => "auto" };

    public static Option<string> Encoding() => new("--encoding") { Description = "Text encoding of a CSV file: utf8 (strict: an invalid byte is refused) or latin1 (ISO-8859-1).", DefaultValueFactory = _ => "utf8" };

    public static CsvTextEncoding ParseEncoding(string text) => text.ToUpperInvariant().Replace("-", "", StringComparison.Ordinal) switch
    {
        "UTF8" => CsvTextEncoding.Utf8,
        "LATIN1" or "ISO88591" => CsvTextEncoding.Latin1,
        _ => throw new AcrUsageException($"--encoding must be utf8 or latin1; got '{text}' (convert other encodings to UTF-8 with iconv)."),
    };

    public static Option<string[]> Categorical() => new("--categorical")
    {
        Description = "One-hot encode text columns: auto (every column whose first data row is text) or COL,… (names or indices); " +
            "categories are learnt from the training rows and saved in the model, and an unseen one scores as all zeros.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static char? ParseDelimiter(string text) => text switch
    {
        _ when text.Equals("auto", StringComparison.OrdinalIgnoreCase) => null,
        _ when text.Equals("tab", StringComparison.OrdinalIgnoreCase) || text is "\t" or "\\t" => '\t',
        "," or ";" or "|" => text[0],
        _ => throw new AcrUsageException($"--delimiter must be one of , ; tab | or auto; got '{text}' (quote ; and | in the shell: --delimiter ';')."),
    };

    public static Option<int> Iterations(int defaultValue) => new("--iterations") { Description = "Meta-training iterations.", DefaultValueFactory = _ => defaultValue };

    public static Option<int> Tasks() => new("--tasks") { Description = "Tasks per iteration (one batch-norm segment each).", DefaultValueFactory = _ => 32 };

    public static Option<int> TaskSize() => new("--task-size") { Description = "Rows per task.", DefaultValueFactory = _ => 256 };

    public static Option<double> AnomalyRatio() => new("--anomaly-ratio") { Description = "Share of anomalies in a training task.", DefaultValueFactory = _ => 0.2 };

    public static Option<double> LearningRate() => new("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 1e-3 };

    public static Option<int> LossEvery() => new("--loss-every") { Description = "Read the training losses from the backend every N steps (one wait each; the model is the same for any N).", DefaultValueFactory = _ => 10 };

    public static Option<string[]> TrainClasses(string defaultText) => new("--train-classes") { Description = $"Training classes (comma-separated or repeated); default: {defaultText}.", AllowMultipleArgumentsPerToken = true };

    /// <summary>What 'acr train' trains on without --train-classes (see <see cref="Training.ModelTrainer"/>).</summary>
    public const string TrainDefaultClasses = "every class of --label (every group of --group, when given)";

    /// <summary>What 'acr evaluate' trains on without --train-classes (see <see cref="Evaluation.ClassSplit"/>).</summary>
    public const string EvaluateDefaultClasses = "the first half (⌊K/2⌋ of the K classes, in ordinal string order; the rest are the unseen test classes)";

    public static Option<string> Contamination() => new("--contamination") { Description = "Test contamination levels π, comma-separated.", DefaultValueFactory = _ => "0.01,0.05,0.1,0.2" };

    public static IReadOnlyList<double> ParseContamination(string text)
    {
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v is <= 0 or >= 1)
            {
                throw new AcrUsageException($"--contamination: '{part}' is not a number in (0, 1); give e.g. 0.01,0.05,0.1,0.2.");
            }

            values.Add(v);
        }

        return values.Count > 0 ? values : throw new AcrUsageException("--contamination needs at least one value in (0, 1).");
    }

    public static bool? ParseHeader(string text) => text.ToUpperInvariant() switch
    {
        "AUTO" => null,
        "YES" or "TRUE" => true,
        "NO" or "FALSE" => false,
        _ => throw new AcrUsageException($"--header must be auto, yes or no; got '{text}'."),
    };

    public static string[] SplitList(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
}
