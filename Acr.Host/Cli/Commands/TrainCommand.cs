using System.CommandLine;
using Acr.Host.Training;
using Spectre.Console;

namespace Acr.Host.Cli;

/// <summary>'acr train': meta-train a detector on the distributions of a CSV file and save the model.</summary>
internal static class TrainCommand
{
    public static Command Create(CliContext c)
    {
        var cmd = new Command("train", "Meta-train a detector on the distributions (classes of --label, or groups of --group) of a CSV file and save the model.");
        var outFile = new Option<string>("--out") { Description = "Model file to write (.safetensors).", Required = true };
        var seed = CliOptions.Seed();
        var quiet = CliOptions.Quiet();
        var trainClasses = CliOptions.TrainClasses();
        cmd.Add(outFile);
        cmd.Add(seed);
        cmd.Add(quiet);
        cmd.Add(trainClasses);
        var data = new DataOptionSet(cmd, labelRequired: false);
        var training = new TrainingOptionSet(cmd);
        var backend = new BackendOptionSet(cmd);
        cmd.SetAction(p =>
        {
            var path = p.GetValue(outFile)!;
            OutputPaths.CheckFile(path);
            var classes = CliOptions.SplitList(p.GetValue(trainClasses));
            var request = new TrainingRequest
            {
                Detector = training.DetectorName(p),
                DetectorOptions = training.UserDetectorOptions(p),
                TrainClasses = classes.Length > 0 ? classes : null,
                Seed = p.GetValue(seed),
                Training = training.Read(p),
            };
            ValidateEarly(request, c);
            var table = data.Read(p);
            using var b = backend.Create(c, p);
            using var model = new TrainingDisplay(c.Console, p.GetValue(quiet)).Run("train", 1, request.Training.Iterations,
                report => new ModelTrainer(c.Registry).Train(table, request, b, pr => report(0, pr), c.Cancellation));
            model.Save(path);
            var losses = model.TrainingLosses;
            c.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trained on {model.Config.TrainClasses.Count} distributions ({table.Rows} rows, {table.Columns} features); {(losses.Count > 0 ? $"final loss {losses[^1]:G5}" : "the detector has no trainable parameters")}"));
            c.Console.WriteLine($"model: {path}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Settings and detector options are refused before the data is read.</summary>
    private static void ValidateEarly(TrainingRequest request, CliContext c)
    {
        try
        {
            request.Training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException(e.Message, e);
        }

        Composition.DetectorOptionResolver.Resolve(c.Registry.GetDetector(request.Detector), request.DetectorOptions);
    }
}
