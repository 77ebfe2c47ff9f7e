using Acr.Host.Evaluation;
using Acr.Host.Reports;

namespace Acr.Host.Cli;

/// <summary>Runs the zero-shot-by-class protocol, writes its outputs (<see cref="EvaluationOutputs"/>) and prints the summary: shared by 'acr evaluate' and 'acr demo'.</summary>
internal static class EvaluationRunner
{
    public static int Run(CliContext context, TabularDataset data, string detectorName, ZeroShotProtocolOptions options, ComputeBackend backend,
        string outDir, bool quiet, string title, params (string Option, string Path)[] inputs) =>
        Run(context, data, detectorName, options, backend, outDir, quiet, title, null, inputs);

    /// <summary>
    /// As the other overload, keeping each completed seed in <c>OUT/resume</c> unless <paramref name="resume"/> is null
    /// (see <see cref="CompletedSeeds"/>): true continues after the seeds an interrupted run completed there.
    /// </summary>
    public static int Run(CliContext context, TabularDataset data, string detectorName, ZeroShotProtocolOptions options, ComputeBackend backend,
        string outDir, bool quiet, string title, bool? resume, params (string Option, string Path)[] inputs)
    {
        var detector = context.Registry.GetDetector(detectorName);
        OutputPaths.CheckDirectory(outDir, EvaluationOutputs.FileNames(options.Contaminations), inputs);
        var keep = resume is { } r ? new EvaluationResume(Path.Combine(outDir, EvaluationResume.FolderName), r) : null;
        if (keep is not null)
        {
            OutputPaths.CheckDirectory(keep.Directory, [], inputs);
        }

        var protocol = new ZeroShotByClassProtocol(detector, backend);
        var display = new TrainingDisplay(context.Console, quiet);
        using var evaluation = display.Run(title, options.Seeds, options.Training.Iterations,
            report => protocol.Run(data, options, keep, report, context.Cancellation));
        foreach (var warning in evaluation.Warnings)
        {
            context.Error.WriteLine($"warning: {warning}.");
        }

        var written = EvaluationOutputs.Write(outDir, evaluation, data, detector.Name, options, backend);
        if (keep is not null)
        {
            CompletedSeeds.Delete(keep.Directory);
        }

        if (!quiet)
        {
            PrintSummary(context.Console, evaluation, options, detector.Name);
        }

        context.Console.WriteLine($"model:   {written.Model}");
        context.Console.WriteLine($"metrics: {written.Metrics}");
        context.Console.WriteLine($"scores:  {written.Scores}");
        context.Console.WriteLine($"plots:   {Path.Combine(Path.GetDirectoryName(written.Model)!, "roc-pi*.svg")}, pr-pi*.svg (ROC and precision-recall curves per π)");
        if (written.Plots.FirstOrDefault(p => Path.GetFileName(p) == ExtremeImages.FileName) is { } extremes)
        {
            context.Console.WriteLine($"images:  {extremes} (per test class: its {ExtremeImages.PerSide} lowest- and {ExtremeImages.PerSide} highest-scored test images, seed 0, largest π; green border normal, red anomaly)");
        }

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
            ["B3"] = $"B3 (in-batch kNN, k = {InBatchKnnScorer.DefaultK})",
            [ZeroShotByClassProtocol.SelectedMethod] = "validated recipe (selected)",
        };
        foreach (var method in evaluation.Methods)
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
        foreach (var seed in evaluation.Seeds)
        {
            if (seed.Selection is { } s)
            {
                var best = s.Candidates.FirstOrDefault(c => c.Name == s.ScorerName);
                console.WriteLine(string.Create(inv,
                    $"seed {seed.Seed}: meta-validation chose {s.ScorerName} ({(best is null ? "not validated" : $"validation AUROC {best.MeanAuroc:F3}")} over {s.ValidationTasks} tasks in {s.Folds.Count} folds), {s.Iterations} iterations{(s.Note is null ? "" : $"; {s.Note}")}"));
            }
        }
    }
}
