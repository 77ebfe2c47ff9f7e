using System.Text.Json;
using Acr.Host.Evaluation;
using Acr.Host.IO;

namespace Acr.Host.Reports;

/// <summary>Writes an evaluation's <c>metrics.json</c> and <c>scores.csv</c>, each atomically.</summary>
public static class EvaluationReport
{
    /// <summary>Records go into metrics.json property by property, named in camel case (<c>AurocMean</c> as <c>aurocMean</c>).</summary>
    private static readonly JsonSerializerOptions CamelCase = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Writes <c>metrics.json</c>: config, environment, the summary (mean ± std over seeds) and every per-seed, per-task metric.</summary>
    /// <param name="path">Destination.</param>
    /// <param name="evaluation">The results.</param>
    /// <param name="config">Free-form run configuration to record.</param>
    /// <param name="environment">Where it ran.</param>
    public static void WriteMetrics(string path, ZeroShotEvaluation evaluation, IReadOnlyDictionary<string, object?> config, RunEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("protocol", "zero-shot-by-class");
            w.WriteString("recipe", evaluation.Recipe == Recipes.TrainingRecipe.Validated ? "validated" : "paper");
            WriteStrings(w, "methods", evaluation.Methods);
            w.WritePropertyName("config");
            JsonSerializer.Serialize(w, config);
            w.WritePropertyName("environment");
            JsonSerializer.Serialize(w, environment);
            w.WriteStartObject("split");
            WriteStrings(w, "trainClasses", evaluation.Split.TrainClasses);
            WriteStrings(w, "testClasses", evaluation.Split.TestClasses);
            w.WriteEndObject();
            w.WritePropertyName("summary");
            JsonSerializer.Serialize(w, evaluation.Summary, CamelCase);
            w.WriteStartArray("seeds");
            foreach (var seed in evaluation.Seeds)
            {
                w.WriteStartObject();
                w.WriteNumber("seed", seed.Seed);
                if (double.IsFinite(seed.FinalLoss))
                {
                    w.WriteNumber("finalLoss", seed.FinalLoss);
                }
                else
                {
                    w.WriteNull("finalLoss"); // a training-free detector has no loss
                }

                w.WriteNumber("trainingSeconds", seed.TrainingSeconds);
                if (seed.Selection is { } selection)
                {
                    w.WriteNumber("validationSeconds", selection.Seconds);
                    w.WritePropertyName("selection");
                    JsonSerializer.Serialize(w, selection, CamelCase);
                }

                w.WriteStartArray("contaminations");
                foreach (var c in seed.ByContamination)
                {
                    w.WriteStartObject();
                    w.WriteNumber("contamination", c.Contamination);
                    foreach (var m in c.Methods)
                    {
                        w.WriteStartObject(m.Method);
                        w.WriteNumber("meanAuroc", m.MeanAuroc);
                        w.WriteNumber("meanAupr", m.MeanAupr);
                        w.WriteNumber("meanF1", m.MeanF1);
                        w.WritePropertyName("tasks");
                        JsonSerializer.Serialize(w, m.Tasks.Select(t => new { t.TestClass, t.Draw, t.Normals, t.Anomalies, t.Auroc, t.Aupr, t.F1 }), CamelCase);
                        w.WriteEndObject();
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// Writes <c>scores.csv</c> in the one schema (<see cref="ScoresCsv"/>): row, batch (the task's normal class), score (ACR),
    /// label, anomaly, seed, contamination, b1, b2, b3, selected — for the first draw of the test tasks (the protocol's own; further draws
    /// only enter the metrics).
    /// </summary>
    /// <param name="path">Destination.</param>
    /// <param name="rows">Scored rows.</param>
    public static void WriteScores(string path, IReadOnlyList<ScoreRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ScoresCsv.Write(path, ScoresCsv.Columns.Label | ScoresCsv.Columns.Evaluation,
            rows.Select(r => new ScoresCsv.Record(r.Row, r.BatchName, r.Acr, r.Label, r.IsAnomaly, r.Seed, r.Contamination, r.B1, r.B2, r.B3, r.Selected)));
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }
}
