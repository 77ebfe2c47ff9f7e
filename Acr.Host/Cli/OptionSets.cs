using Acr.Host.Composition;
using Acr.Host.Data.Arrays;
using Acr.Host.Data.Fetch;
using Acr.Host.Training;
using Acr.Nn;

namespace Acr.Host.Cli;

/// <summary>Options several commands share and read together; enumerates them in help order.</summary>
internal abstract class OptionSet : IEnumerable<Option>
{
    /// <summary>The options, in help order.</summary>
    protected abstract IReadOnlyList<Option> Options { get; }

    public IEnumerator<Option> GetEnumerator() => Options.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The meta-training options, shared by train, evaluate and demo.</summary>
internal sealed class TrainingOptionSet(int defaultIterations = 500) : OptionSet
{
    public Option<int> Iterations { get; } = CliOptions.Iterations(defaultIterations);

    public Option<int> Tasks { get; } = CliOptions.Tasks();

    public Option<int> TaskSize { get; } = CliOptions.TaskSize();

    public Option<double> AnomalyRatio { get; } = CliOptions.AnomalyRatio();

    public Option<double> LearningRate { get; } = CliOptions.LearningRate();

    public Option<int> LossEvery { get; } = CliOptions.LossEvery();

    public Option<string> Detector { get; } = CliOptions.Detector();

    public Option<string[]> DetectorOption { get; } = CliOptions.DetectorOption();

    protected override IReadOnlyList<Option> Options => [Iterations, Tasks, TaskSize, AnomalyRatio, LearningRate, LossEvery, Detector, DetectorOption];

    public MetaTrainingOptions Read(ParseResult p) => new()
    {
        Iterations = p.GetValue(Iterations),
        TasksPerIteration = p.GetValue(Tasks),
        TaskSize = p.GetValue(TaskSize),
        AnomalyRatio = p.GetValue(AnomalyRatio),
        Adam = new AdamOptions(LearningRate: (float)p.GetValue(LearningRate)),
        LossReadInterval = p.GetValue(LossEvery),
    };

    public string DetectorName(ParseResult p) => p.GetValue(Detector)!;

    public Dictionary<string, string> UserDetectorOptions(ParseResult p) => DetectorOptionResolver.ParsePairs(p.GetValue(DetectorOption));

    public Dictionary<string, string> DetectorOptions(ParseResult p, ComponentRegistry registry) =>
        DetectorOptionResolver.Resolve(registry.GetDetector(DetectorName(p)), UserDetectorOptions(p));
}

/// <summary>Backend selection, shared by every command that computes.</summary>
internal sealed class BackendOptionSet : OptionSet
{
    public Option<string> Backend { get; } = CliOptions.Backend();

    public Option<int?> Device { get; } = CliOptions.Device();

    public Option<int?> Threads { get; } = CliOptions.Threads();

    protected override IReadOnlyList<Option> Options => [Backend, Device, Threads];

    public ComputeBackend Create(CliContext c, ParseResult p) => c.CreateBackend(p, Backend, Device, Threads);
}

/// <summary>
/// The CSV input options, shared by train, score and evaluate; <paramref name="categorical"/> adds --categorical (train
/// and evaluate: scoring takes the categorical columns from the model).
/// </summary>
internal sealed class DataOptionSet(bool labelRequired, bool categorical = false) : OptionSet
{
    public Option<string> Data { get; } = CliOptions.Data();

    public Option<string?> Label { get; } = CliOptions.Label(required: false);

    public Option<string?> Labels { get; } = new("--labels") { Description = "IDX labels file for an IDX images --data file (image data: --data fashion-mnist[:test] after 'acr fetch')." };

    public Option<string?> Group { get; } = CliOptions.Group();

    public Option<string[]> Drop { get; } = CliOptions.Drop();

    public Option<string> Header { get; } = CliOptions.Header();

    public Option<string> Delimiter { get; } = CliOptions.Delimiter();

    public Option<string> Encoding { get; } = CliOptions.Encoding();

    public Option<string[]> Categorical { get; } = CliOptions.Categorical();

    protected override IReadOnlyList<Option> Options =>
        categorical ? [Data, Label, Labels, Group, Drop, Categorical, Header, Delimiter, Encoding] : [Data, Label, Labels, Group, Drop, Header, Delimiter, Encoding];

    /// <summary>
    /// Reads the embedded letter data (<c>--data letter</c>), a folder of images with one sub-folder per class (see
    /// <see cref="ImageFolderSet"/>), IDX image data (flattened pixels, see <see cref="IdxImageSet"/>) or, otherwise, CSV.
    /// </summary>
    /// <param name="context">Where warnings go.</param>
    /// <param name="p">The parsed arguments.</param>
    /// <param name="knownCategories">When scoring: the model's categorical columns.</param>
    /// <param name="trainingDistributions">Which distributions train, given all of them: categories are learnt from their rows.</param>
    public TabularDataset Read(CliContext context, ParseResult p, IReadOnlyList<CategoricalColumn>? knownCategories = null,
        Func<IReadOnlyList<string>, IReadOnlyCollection<string>>? trainingDistributions = null)
    {
        string data = p.GetValue(Data)!;
        string? labels = p.GetValue(Labels);
        if (ImageFolderSet.IsImageFolder(data))
        {
            return ImageFolderSet.Load(data);
        }

        if (IdxImageSet.TryResolve(data, labels, DataCache.Resolve(null), out string images, out string labelsPath))
        {
            return IdxImageSet.Load(images, labelsPath);
        }

        var options = new CsvReadOptions
        {
            LabelColumn = p.GetValue(Label),
            GroupColumn = p.GetValue(Group),
            Drop = CliOptions.SplitList(p.GetValue(Drop)),
            HasHeader = CliOptions.ParseHeader(p.GetValue(Header)!),
            Delimiter = CliOptions.ParseDelimiter(p.GetValue(Delimiter)!),
            Encoding = CliOptions.ParseEncoding(p.GetValue(Encoding)!),
            KnownCategories = knownCategories,
            CategoryDistributions = trainingDistributions,
            Warn = context.Warn,
        };
        if (categorical)
        {
            var columns = CliOptions.SplitList(p.GetValue(Categorical));
            var auto = columns.Any(c => c.Equals("auto", StringComparison.OrdinalIgnoreCase));
            options = options with { CategoricalAuto = auto, Categorical = [.. columns.Where(c => !c.Equals("auto", StringComparison.OrdinalIgnoreCase))] };
        }

        if (NamedDatasets.TryRead(data, DataCache.Resolve(null), options, out var named))
        {
            return named;
        }

        if (labelRequired && p.GetValue(Label) is null)
        {
            throw new AcrUsageException("Option '--label' is required for CSV data: name the label column (name, 0-based index, or -1 for the last).");
        }

        return CsvDatasetReader.Read(data, options);
    }
}
