using System.CommandLine;
using Acr.Host.Evaluation;

namespace Acr.Host.Cli;

/// <summary>'acr demo': the zero-shot-by-class protocol on the embedded letter data.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext c)
    {
        var cmd = new Command("demo", "Zero-shot by class on the embedded UCI letter data: meta-train on letters A–M, score the unseen N–Z, compare ACR with B1 and B2.");
        var outDir = new Option<string>("--out") { Description = "Output folder for the model and reports.", DefaultValueFactory = _ => "acr-demo" };
        var seeds = new Option<int>("--seeds") { Description = "Number of seeds.", DefaultValueFactory = _ => 3 };
        var seed = CliOptions.Seed();
        var quiet = CliOptions.Quiet();
        cmd.Add(outDir);
        cmd.Add(seeds);
        cmd.Add(seed);
        cmd.Add(quiet);
        var training = new TrainingOptionSet(cmd);
        var backend = new BackendOptionSet(cmd);
        cmd.SetAction(p =>
        {
            var options = new ZeroShotProtocolOptions
            {
                Seeds = p.GetValue(seeds),
                BaseSeed = p.GetValue(seed),
                Training = training.Read(p),
                DetectorOptions = training.DetectorOptions(p, c.Registry),
            };
            options.Validate();
            using var b = backend.Create(c, p);
            return EvaluationRunner.Run(c, EmbeddedDatasets.Letter(), training.DetectorName(p), options, b, p.GetValue(outDir)!, p.GetValue(quiet), "letter");
        });
        return cmd;
    }
}
