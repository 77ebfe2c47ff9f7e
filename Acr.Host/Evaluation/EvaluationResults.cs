namespace Acr.Host.Evaluation;

/// <summary>Metrics of one method on one zero-shot test task.</summary>
/// <param name="TestClass">The task's normal class.</param>
/// <param name="Normals">Normal rows in the task.</param>
/// <param name="Anomalies">Anomalous rows in the task.</param>
/// <param name="Auroc">Area under the ROC curve.</param>
/// <param name="Aupr">Average precision (area under the precision–recall curve).</param>
/// <param name="F1">F1 at the π-quantile threshold.</param>
/// <param name="Draw">Which draw of the test tasks this is (0 unless several were asked for).</param>
public sealed record TaskMetrics(string TestClass, int Normals, int Anomalies, double Auroc, double Aupr, double F1, int Draw = 0);

/// <summary>One method's metrics on every test task of one contamination level.</summary>
/// <param name="Method">ACR, B1, B2, B3 or Selected.</param>
/// <param name="Tasks">Per test class (and per draw of the test tasks).</param>
public sealed record MethodMetrics(string Method, IReadOnlyList<TaskMetrics> Tasks)
{
    /// <summary>Mean AUROC over test tasks.</summary>
    public double MeanAuroc => Tasks.Average(t => t.Auroc);

    /// <summary>Mean AUPR over test tasks.</summary>
    public double MeanAupr => Tasks.Average(t => t.Aupr);

    /// <summary>Mean F1 over test tasks.</summary>
    public double MeanF1 => Tasks.Average(t => t.F1);
}

/// <summary>All methods at one contamination level π.</summary>
/// <param name="Contamination">π.</param>
/// <param name="Methods">Per method.</param>
public sealed record ContaminationResult(double Contamination, IReadOnlyList<MethodMetrics> Methods);

/// <summary>One seed's run: training summary and zero-shot metrics per π.</summary>
/// <param name="Seed">The seed.</param>
/// <param name="FinalLoss">Loss of the last training iteration (NaN for a detector without trainable parameters).</param>
/// <param name="TrainingSeconds">Wall time of meta-training.</param>
/// <param name="ByContamination">Metrics per π.</param>
public sealed record SeedResult(ulong Seed, double FinalLoss, double TrainingSeconds, IReadOnlyList<ContaminationResult> ByContamination)
{
    /// <summary>What meta-validation chose for this seed (null with the paper's recipe); <see cref="TrainingSeconds"/> includes it.</summary>
    public Recipes.RecipeSelection? Selection { get; init; }
}

/// <summary>Mean ± sample std over seeds of the per-seed mean over test tasks.</summary>
/// <param name="Method">ACR, B1, B2, B3 or Selected.</param>
/// <param name="Contamination">π.</param>
/// <param name="AurocMean">Mean AUROC.</param>
/// <param name="AurocStd">Std of AUROC.</param>
/// <param name="AuprMean">Mean AUPR.</param>
/// <param name="AuprStd">Std of AUPR.</param>
/// <param name="F1Mean">Mean F1.</param>
/// <param name="F1Std">Std of F1.</param>
public sealed record SummaryRow(string Method, double Contamination, double AurocMean, double AurocStd, double AuprMean, double AuprStd, double F1Mean, double F1Std);

/// <summary>One scored row of one test task (of the first draw of the test tasks), for <c>scores.csv</c>.</summary>
/// <param name="Seed">Seed of the run.</param>
/// <param name="Contamination">π of the task.</param>
/// <param name="TestClass">The task's normal class (its batch id).</param>
/// <param name="Row">Row index in the data file (0-based, data rows only).</param>
/// <param name="Label">The row's own class in the data.</param>
/// <param name="IsAnomaly">Ground truth.</param>
/// <param name="Acr">ACR score (batch mode).</param>
/// <param name="B1">B1 score (running statistics).</param>
/// <param name="B2">B2 score (raw batch norm).</param>
/// <param name="B3">B3 score (in-batch kNN, k = 10).</param>
/// <param name="Selected">The validated recipe's chosen score (NaN with the paper's recipe).</param>
/// <param name="Batch">Which of the test class's batches the row was scored in (with <see cref="ZeroShotProtocolOptions.TestBatchNormals"/>), or -1 for the one batch of the whole class.</param>
public readonly record struct ScoreRow(ulong Seed, double Contamination, string TestClass, int Row, string Label, bool IsAnomaly, float Acr, float B1, float B2,
    float B3 = 0, float Selected = float.NaN, int Batch = -1)
{
    /// <summary>The batch's name in scores.csv: the test class, with <c>:N</c> when the class was cut into batches.</summary>
    public string BatchName => Batch < 0 ? TestClass : string.Create(CultureInfo.InvariantCulture, $"{TestClass}:{Batch}");
}
