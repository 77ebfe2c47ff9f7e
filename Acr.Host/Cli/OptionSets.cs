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

/// <summary>The CSV input options, shared by train, score and evaluate.</summary>
internal sealed class DataOptionSet(bool labelRequired) : OptionSet
{
    public Option<string> Data { get; } = CliOptions.Data();

    public Option<string?> Label { get; } = CliOptions.Label(required: false);

    public Option<string?> Labels { get; } = new("--labels") { Description = "IDX labels file for an IDX images --data file (image data: --data fashion-mnist[:test] after 'acr fetch')." };

    public Option<string?> Group { get; } = CliOptions.Group();

    public Option<string[]> Drop { get; } = CliOptions.Drop();

    public Option<string> Header { get; } = CliOptions.Header();

    public Option<string> Delimiter { get; } = CliOptions.Delimiter();

    protected override IReadOnlyList<Option> Options => [Data, Label, Labels, Group, Drop, Header, Delimiter];

    /// <summary>Reads IDX image data (flattened pixels, see <see cref="IdxImageSet"/>) or, otherwise, CSV.</summary>
    public TabularDataset Read(ParseResult p)
    {
        string data = p.GetValue(Data)!;
        string? labels = p.GetValue(Labels);
        if (IdxImageSet.TryResolve(data, labels, DataCache.Resolve(null), out string images, out string labelsPath))
        {
            return IdxImageSet.Load(images, labelsPath);
        }

        if (labelRequired && p.GetValue(Label) is null)
        {
            throw new AcrUsageException("Option '--label' is required for CSV data: name the label column (name, 0-based index, or -1 for the last).");
        }

        return CliContext.ReadCsv(p, Data, Label, Group, Drop, Header, Delimiter);
    }
}
