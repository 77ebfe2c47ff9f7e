using System.CommandLine;
using Acr.Host.Evaluation;

namespace Acr.Host.Cli;

/// <summary>'acr evaluate': an evaluation protocol on a labelled CSV file.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliContext c)
    {
        var cmd = new Command("evaluate", "Run an evaluation protocol and write metrics.json, scores.csv, model.safetensors and ROC / precision-recall plots (SVG, per π) to --out.");
        var protocol = new Option<string>("--protocol") { Description = "Evaluation protocol.", DefaultValueFactory = _ => "zero-shot-by-class" };
        var outDir = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var seeds = new Option<int>("--seeds") { Description = "Number of seeds.", DefaultValueFactory = _ => 5 };
        var testDraws = new Option<int>("--test-draws")
        {
            Description = "Independent draws of the test tasks' anomalies per seed and π, averaged in the metrics (1 = the protocol as written; " +
                "more average out the luck of a single drawn anomaly at small π without retraining; scores.csv keeps the first draw).",
            DefaultValueFactory = _ => 1,
        };
        var seed = CliOptions.Seed();
        var quiet = CliOptions.Quiet();
        var contamination = CliOptions.Contamination();
        var trainClasses = CliOptions.TrainClasses();
        foreach (var option in new Option[] { protocol, outDir, seeds, testDraws, seed, quiet, contamination, trainClasses })
        {
            cmd.Add(option);
        }

        var data = new DataOptionSet(cmd, labelRequired: true);
        var training = new TrainingOptionSet(cmd);
        var backend = new BackendOptionSet(cmd);
        cmd.SetAction(p =>
        {
            var name = p.GetValue(protocol)!;
            if (!string.Equals(name, "zero-shot-by-class", StringComparison.OrdinalIgnoreCase))
            {
                throw new AcrUsageException($"Unknown protocol '{name}'. Available: zero-shot-by-class.");
            }

            var classes = CliOptions.SplitList(p.GetValue(trainClasses));
            var options = new ZeroShotProtocolOptions
            {
                Seeds = p.GetValue(seeds),
                TestDraws = p.GetValue(testDraws),
                BaseSeed = p.GetValue(seed),
                Contaminations = CliOptions.ParseContamination(p.GetValue(contamination)!),
                Training = training.Read(p),
                DetectorOptions = training.DetectorOptions(p, c.Registry),
                TrainClasses = classes.Length > 0 ? classes : null,
            };
            options.Validate();
            var table = data.Read(p);
            using var b = backend.Create(c, p);
            return EvaluationRunner.Run(c, table, training.DetectorName(p), options, b, p.GetValue(outDir)!, p.GetValue(quiet), Path.GetFileName(table.Source));
        });
        return cmd;
    }
}
