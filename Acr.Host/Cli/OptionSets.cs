using System.CommandLine;
using Acr.Host.Composition;
using Acr.Host.Training;
using Acr.Nn;

namespace Acr.Host.Cli;

/// <summary>The meta-training options, shared by train, evaluate and demo.</summary>
internal sealed class TrainingOptionSet
{
    public TrainingOptionSet(Command command, int defaultIterations = 500)
    {
        Iterations = CliOptions.Iterations(defaultIterations);
        foreach (var option in new Option[] { Iterations, Tasks, TaskSize, AnomalyRatio, LearningRate, LossEvery, Detector, DetectorOption })
        {
            command.Add(option);
        }
    }

    public Option<int> Iterations { get; }

    public Option<int> Tasks { get; } = CliOptions.Tasks();

    public Option<int> TaskSize { get; } = CliOptions.TaskSize();

    public Option<double> AnomalyRatio { get; } = CliOptions.AnomalyRatio();

    public Option<double> LearningRate { get; } = CliOptions.LearningRate();

    public Option<int> LossEvery { get; } = CliOptions.LossEvery();

    public Option<string> Detector { get; } = CliOptions.Detector();

    public Option<string[]> DetectorOption { get; } = CliOptions.DetectorOption();

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
internal sealed class BackendOptionSet
{
    public BackendOptionSet(Command command)
    {
        command.Add(Backend);
        command.Add(Device);
        command.Add(Threads);
    }

    public Option<string> Backend { get; } = CliOptions.Backend();

    public Option<int?> Device { get; } = CliOptions.Device();

    public Option<int?> Threads { get; } = CliOptions.Threads();

    public ComputeBackend Create(CliContext c, ParseResult p) => c.CreateBackend(p, Backend, Device, Threads);
}

/// <summary>The CSV input options, shared by train, score and evaluate.</summary>
internal sealed class DataOptionSet
{
    public DataOptionSet(Command command, bool labelRequired)
    {
        Label = CliOptions.Label(labelRequired);
        command.Add(Data);
        command.Add(Label);
        command.Add(Group);
        command.Add(Drop);
        command.Add(Header);
    }

    public Option<string> Data { get; } = CliOptions.Data();

    public Option<string?> Label { get; }

    public Option<string?> Group { get; } = CliOptions.Group();

    public Option<string[]> Drop { get; } = CliOptions.Drop();

    public Option<string> Header { get; } = CliOptions.Header();

    public TabularDataset Read(ParseResult p) => CliContext.ReadCsv(p, Data, Label, Group, Drop, Header);
}
