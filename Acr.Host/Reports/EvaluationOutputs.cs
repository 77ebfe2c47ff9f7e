using System.Text.RegularExpressions;
using Acr.Host.Cli;
using Acr.Host.Evaluation;
using Acr.Host.IO;
using Acr.Host.Models;
using Acr.Host.Training;

namespace Acr.Host.Reports;

/// <summary>
/// Writes everything an evaluation produces into one folder, all or nothing: <c>model.safetensors</c> (the first seed's
/// model), <c>metrics.json</c>, <c>scores.csv</c> and the ROC and precision–recall plots per π. Every file is staged and
/// renamed into place only when all were written. A folder that <see cref="Write"/> had to create is removed again if
/// the writing fails, and plots of other contamination levels left in a re-used folder by an earlier run
/// (<c>roc-pi*.svg</c>, <c>pr-pi*.svg</c> not written by this run) are deleted once the new files are in place, so the
/// folder never mixes two runs.
/// </summary>
public static partial class EvaluationOutputs
{
    /// <summary>The names of the files <see cref="Write"/> puts in the folder for these contamination levels.</summary>
    /// <param name="contaminations">The π levels of the run (one ROC and one precision–recall plot each).</param>
    public static IReadOnlyList<string> FileNames(IReadOnlyList<double> contaminations)
    {
        ArgumentNullException.ThrowIfNull(contaminations);
        return ["model.safetensors", "metrics.json", "scores.csv", .. contaminations.SelectMany(pi => new[] { CurvePlot.RocFileName(pi), CurvePlot.PrecisionRecallFileName(pi) }), ExtremeImages.FileName];
    }

    /// <summary>The files written, in order.</summary>
    /// <param name="Model">The model file.</param>
    /// <param name="Metrics">The metrics file.</param>
    /// <param name="Scores">The scores file.</param>
    /// <param name="Plots">The plot files.</param>
    public sealed record Written(string Model, string Metrics, string Scores, IReadOnlyList<string> Plots);

    /// <summary>Writes the outputs of <paramref name="evaluation"/> into <paramref name="directory"/> (created if needed).</summary>
    /// <param name="directory">Output folder.</param>
    /// <param name="evaluation">The results.</param>
    /// <param name="data">The data that was evaluated.</param>
    /// <param name="detector">The detector's name.</param>
    /// <param name="options">The protocol settings.</param>
    /// <param name="backend">Where it ran.</param>
    public static Written Write(string directory, ZeroShotEvaluation evaluation, TabularDataset data, string detector, ZeroShotProtocolOptions options, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backend);
        var created = OutputPaths.CreateDirectory(directory);
        try
        {
            return WriteInto(directory, evaluation, data, detector, options, backend);
        }
        catch
        {
            OutputPaths.RemoveCreated(created);
            throw;
        }
    }

    [GeneratedRegex(@"^((roc|pr)-pi[0-9.]+\.svg|extremes\.png)$", RegexOptions.CultureInvariant)]
    private static partial Regex PlotName();

    private static Written WriteInto(string directory, ZeroShotEvaluation evaluation, TabularDataset data, string detector, ZeroShotProtocolOptions options, ComputeBackend backend)
    {
        using var outputs = new OutputSet(directory);
        var modelPath = outputs.Stage("model.safetensors");
        var metricsPath = outputs.Stage("metrics.json");
        var scoresPath = outputs.Stage("scores.csv");
        var plots = options.Contaminations
            .Select(pi => (Pi: pi, Roc: outputs.Stage(CurvePlot.RocFileName(pi)), Pr: outputs.Stage(CurvePlot.PrecisionRecallFileName(pi))))
            .ToArray();
        var extremes = data.ImageShape is null ? null : outputs.Stage(ExtremeImages.FileName);
        var config = new ModelConfig
        {
            Detector = detector,
            DetectorOptions = options.DetectorOptions,
            Seed = options.BaseSeed,
            FeatureNames = data.FeatureNames,
            Categorical = data.Categorical,
            PreprocessingMean = evaluation.Standardizer.Mean,
            PreprocessingStd = evaluation.Standardizer.Std,
            TrainClasses = evaluation.Split.TrainClasses,
            Training = ModelTrainer.Record(evaluation.Seeds[0].Selection is { } chosen ? options.Training with { Iterations = chosen.Iterations } : options.Training, backend, data.Source),
            Selection = evaluation.Seeds[0].Selection,
        };
        ModelStore.Save(modelPath, evaluation.FirstModel, config);
        var runConfig = new Dictionary<string, object?>
        {
            ["data"] = data.Source,
            ["rows"] = data.Rows,
            ["features"] = data.Columns,
            ["detector"] = detector,
            ["detectorOptions"] = options.DetectorOptions,
            ["seeds"] = options.Seeds,
            ["testDraws"] = options.TestDraws,
            ["testBatchNormals"] = options.TestBatchNormals,
            ["baseSeed"] = options.BaseSeed,
            ["recipe"] = options.Recipe == Recipes.TrainingRecipe.Validated ? "validated" : "paper",
            ["b3K"] = InBatchKnnScorer.DefaultK,
            ["contaminations"] = options.Contaminations,
            ["iterations"] = options.Training.Iterations,
            ["tasks"] = options.Training.TasksPerIteration,
            ["taskSize"] = options.Training.TaskSize,
            ["anomalyRatio"] = options.Training.AnomalyRatio,
            ["learningRate"] = options.Training.Adam.LearningRate,
            ["excludedTestClasses"] = evaluation.Split.ExcludedTestClasses,
            ["warnings"] = evaluation.Warnings,
        };
        EvaluationReport.WriteMetrics(metricsPath, evaluation, runConfig, RunEnvironment.Capture(backend));
        EvaluationReport.WriteScores(scoresPath, evaluation.Scores);
        foreach (var (pi, roc, pr) in plots)
        {
            var curves = AveragedCurve.ForContamination(evaluation.Scores, pi);
            CurvePlot.WriteRoc(roc, pi, curves);
            CurvePlot.WritePrecisionRecall(pr, pi, curves);
        }

        if (extremes is not null)
        {
            ExtremeImages.Write(extremes, evaluation.Scores, data, evaluation.Split.TestClasses);
        }

        var written = outputs.Commit();
        RemoveStalePlots(directory, written);
        return new Written(written[0], written[1], written[2], written.Skip(3).ToArray());
    }

    /// <summary>Deletes regular files named like this command's plots that this run did not write (an earlier run's other π).</summary>
    private static void RemoveStalePlots(string directory, IReadOnlyList<string> written)
    {
        var keep = written.Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
        {
            if (PlotName().IsMatch(file.Name) && !keep.Contains(file.Name) && file.LinkTarget is null)
            {
                file.Delete();
            }
        }
    }
}
