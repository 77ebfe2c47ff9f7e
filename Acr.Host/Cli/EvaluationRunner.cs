using System.Globalization;
using Acr.Compute;
using Acr.Host.Data;
using Acr.Host.Evaluation;
using Acr.Host.IO;
using Acr.Host.Models;
using Acr.Host.Reports;
using Spectre.Console;

namespace Acr.Host.Cli;

/// <summary>Runs the zero-shot-by-class protocol and writes its outputs: shared by 'acr evaluate' and 'acr demo'.</summary>
internal static class EvaluationRunner
{
    public static int Run(CliContext context, TabularDataset data, string detectorName, ZeroShotProtocolOptions options, ComputeBackend backend,
        string outDir, bool quiet, string title)
    {
        var detector = context.Registry.GetDetector(detectorName);
        OutputPaths.PrepareDirectory(outDir);
        var protocol = new ZeroShotByClassProtocol(detector, backend);
        var display = new TrainingDisplay(context.Console, quiet);
        using var evaluation = display.Run(title, options.Seeds, options.Training.Iterations,
            report => protocol.Run(data, options, report, context.Cancellation));

        using var outputs = new OutputSet(outDir);
        var modelPath = outputs.Stage("model.safetensors");
        var metricsPath = outputs.Stage("metrics.json");
        var scoresPath = outputs.Stage("scores.csv");
        var plots = options.Contaminations
            .Select(pi => (Pi: pi, Roc: outputs.Stage(CurvePlot.RocFileName(pi)), Pr: outputs.Stage(CurvePlot.PrecisionRecallFileName(pi))))
            .ToArray();
        var config = new ModelConfig
        {
            Detector = detector.Name,
            DetectorOptions = options.DetectorOptions,
            Seed = options.BaseSeed,
            FeatureNames = data.FeatureNames,
            PreprocessingMean = evaluation.Standardizer.Mean,
            PreprocessingStd = evaluation.Standardizer.Std,
            TrainClasses = evaluation.Split.TrainClasses,
            Training = new TrainingRecord(options.Training.Iterations, options.Training.TasksPerIteration, options.Training.TaskSize,
                options.Training.AnomalyRatio, options.Training.Adam.LearningRate, backend.Name, data.Source),
        };
        ModelStore.Save(modelPath, evaluation.FirstModel, config);
        var runConfig = new Dictionary<string, object?>
        {
            ["data"] = data.Source,
            ["rows"] = data.Rows,
            ["features"] = data.Columns,
            ["detector"] = detector.Name,
            ["detectorOptions"] = options.DetectorOptions,
            ["seeds"] = options.Seeds,
            ["testDraws"] = options.TestDraws,
            ["baseSeed"] = options.BaseSeed,
            ["contaminations"] = options.Contaminations,
            ["iterations"] = options.Training.Iterations,
            ["tasks"] = options.Training.TasksPerIteration,
            ["taskSize"] = options.Training.TaskSize,
            ["anomalyRatio"] = options.Training.AnomalyRatio,
            ["learningRate"] = options.Training.Adam.LearningRate,
        };
        EvaluationReport.WriteMetrics(metricsPath, evaluation, runConfig, RunEnvironment.Capture(backend));
        EvaluationReport.WriteScores(scoresPath, evaluation.Scores);
        foreach (var (pi, roc, pr) in plots)
        {
            var curves = AveragedCurve.ForContamination(evaluation.Scores, pi);
            CurvePlot.WriteRoc(roc, pi, curves);
            CurvePlot.WritePrecisionRecall(pr, pi, curves);
        }

        var written = outputs.Commit();

        if (!quiet)
        {
            PrintSummary(context.Console, evaluation, options, detector.Name);
        }

        context.Console.WriteLine($"model:   {written[0]}");
        context.Console.WriteLine($"metrics: {written[1]}");
        context.Console.WriteLine($"scores:  {written[2]}");
        context.Console.WriteLine($"plots:   {Path.Combine(outputs.Directory, "roc-pi*.svg")}, pr-pi*.svg (ROC and precision-recall curves per π)");
        return 0;
    }

    private static void PrintSummary(IAnsiConsole console, ZeroShotEvaluation evaluation, ZeroShotProtocolOptions options, string detector)
    {
        var inv = CultureInfo.InvariantCulture;
        console.WriteLine();
        console.WriteLine($"Zero-shot by class: trained on {string.Join(" ", evaluation.Split.TrainClasses)}; tested on unseen {string.Join(" ", evaluation.Split.TestClasses)}");
        var draws = options.TestDraws > 1 ? $", {options.TestDraws} test draws per seed" : string.Empty;
        var table = new Table().Title($"Mean AUROC over test classes ({options.Seeds} seed{(options.Seeds > 1 ? "s" : "")}{draws}, {detector}, mean ± std over seeds)");
        table.AddColumn("method");
        foreach (var pi in options.Contaminations)
        {
            table.AddColumn(new TableColumn("π = " + pi.ToString(inv)).RightAligned());
        }

        var names = new Dictionary<string, string>
        {
            ["ACR"] = "ACR",
            ["B1"] = "B1 (running stats)",
            ["B2"] = "B2 (raw batch norm)",
        };
        foreach (var method in ZeroShotByClassProtocol.Methods)
        {
            var cells = new List<string> { names[method] };
            foreach (var pi in options.Contaminations)
            {
                var s = evaluation.Summary.Single(r => r.Method == method && r.Contamination == pi);
                cells.Add(options.Seeds > 1 ? string.Create(inv, $"{s.AurocMean:F3} ± {s.AurocStd:F3}") : s.AurocMean.ToString("F3", inv));
            }

            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }

        console.Write(table);
    }
}
