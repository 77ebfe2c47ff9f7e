using System.Text.Json;
using Acr.Compute;
using Acr.Detectors;
using Acr.Host.Models;
using Acr.Host.Recipes;
using Acr.Numerics;

namespace Acr.Host.Tests;

/// <summary>
/// Baseline B3 against a brute-force reference, the within-batch rank average, the meta-validation folds, the proof that
/// test classes never reach selection, and the chosen scorer travelling through a model file into <c>acr score</c>.
/// </summary>
public class RecipeTests
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The reference: per batch, z = (x − mean)/√(var + 1e-5) in double, then the mean of the k smallest distances to other rows.</summary>
    private static double[] KnnReference(float[] rows, int d, int[] lengths, int k)
    {
        var scores = new List<double>();
        var start = 0;
        foreach (var n in lengths)
        {
            var z = new double[n, d];
            for (var j = 0; j < d; j++)
            {
                double mean = 0, variance = 0;
                for (var i = 0; i < n; i++)
                {
                    mean += rows[((start + i) * d) + j];
                }

                mean /= n;
                for (var i = 0; i < n; i++)
                {
                    variance += Math.Pow(rows[((start + i) * d) + j] - mean, 2);
                }

                variance /= n;
                for (var i = 0; i < n; i++)
                {
                    z[i, j] = (rows[((start + i) * d) + j] - mean) / Math.Sqrt(variance + 1e-5);
                }
            }

            for (var i = 0; i < n; i++)
            {
                var distances = new List<double>();
                for (var o = 0; o < n; o++)
                {
                    if (o != i)
                    {
                        double s = 0;
                        for (var j = 0; j < d; j++)
                        {
                            s += Math.Pow(z[i, j] - z[o, j], 2);
                        }

                        distances.Add(Math.Sqrt(s));
                    }
                }

                distances.Sort();
                var kk = Math.Min(k, n - 1);
                scores.Add(distances.Take(kk).Average());
            }

            start += n;
        }

        return [.. scores];
    }

    [Fact]
    public void In_batch_knn_matches_a_brute_force_reference_per_batch_and_per_k()
    {
        var rng = new SeededRandom(5);
        int[] lengths = [2, 7, 150, 31];
        const int d = 6;
        var rows = Enumerable.Range(0, lengths.Sum() * d).Select(i => (float)((rng.NextNormal() * (1 + (i % d))) + (i % d * 10))).ToArray();
        int[] ks = [1, 5, 10, 40];
        var all = Evaluation.InBatchKnnScorer.Score(rows, d, lengths, ks);
        for (var q = 0; q < ks.Length; q++)
        {
            var reference = KnnReference(rows, d, lengths, ks[q]);
            var single = Evaluation.InBatchKnnScorer.Score(rows, d, lengths, ks[q]);
            for (var i = 0; i < reference.Length; i++)
            {
                Assert.True(Math.Abs(all[q][i] - reference[i]) <= 1e-4 * (1 + reference[i]), $"k={ks[q]}, row {i}: {all[q][i]} vs reference {reference[i]}");
                Assert.Equal(all[q][i], single[i]);
            }
        }

        // Batches are independent: shifting and scaling one batch's features changes nobody's score (per-batch standardisation).
        var moved = rows.ToArray();
        for (var i = 2 * d; i < 9 * d; i++)
        {
            moved[i] = (moved[i] * 3) + 100;
        }

        var again = Evaluation.InBatchKnnScorer.Score(moved, d, lengths, 5);
        for (var i = 0; i < again.Length; i++)
        {
            Assert.True(Math.Abs(again[i] - all[1][i]) <= 1e-3 * (1 + all[1][i]), $"row {i}");
        }
    }

    [Fact]
    public void In_batch_knn_scores_an_isolated_row_highest_and_refuses_bad_batches()
    {
        var rows = new float[] { 0, 0, 0.1f, 0, 0, 0.1f, 0.1f, 0.1f, 5, 5 };
        var scores = Evaluation.InBatchKnnScorer.Score(rows, 2, [5], 2);
        Assert.Equal(4, Array.IndexOf(scores, scores.Max()));
        Assert.Throws<ArgumentException>(() => Evaluation.InBatchKnnScorer.Score(rows, 2, [4, 1], 2));
        Assert.Throws<ArgumentException>(() => Evaluation.InBatchKnnScorer.Score(rows, 2, [5], 0));
        Assert.Throws<ArgumentException>(() => Evaluation.InBatchKnnScorer.CheckBatch(Evaluation.InBatchKnnScorer.MaxBatchRows + 1));
    }

    [Fact]
    public void Rank_average_is_the_mean_of_within_batch_ranks_over_n_with_ties_sharing_their_rank()
    {
        var choice = new ScorerChoice([ScoreComponent.Acr, ScoreComponent.Knn(5)]);
        var combined = choice.Combine([[1, 2, 3, 5, 4], [3, 2, 1, 4, 4]], [3, 2]);
        double[] expected = [2.0 / 3, 2.0 / 3, 2.0 / 3, 0.875, 0.625];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], combined[i], 6);
        }

        // Unchanged by an increasing transform of a component; one component is returned as it is.
        var transformed = choice.Combine([[10, 20, 30, 500, 400], [3, 2, 1, 4, 4]], [3, 2]);
        Assert.Equal(combined, transformed);
        Assert.Equal([7f, 8f], ScorerChoice.AcrOnly.Combine([[7f, 8f]], [2]));
    }

    [Fact]
    public void Scorer_ids_round_trip_and_unknown_ids_are_refused()
    {
        foreach (var choice in MetaValidation.Candidates(acr: true, [5, 10, 20]))
        {
            Assert.Equal(choice, ScorerChoice.Parse(choice.Ids));
        }

        Assert.Equal(15, MetaValidation.Candidates(acr: true, [5, 10, 20]).Count);
        Assert.DoesNotContain(MetaValidation.Candidates(acr: false, [5, 10, 20]), c => c.UsesAcr);
        Assert.Throws<FormatException>(() => ScorerChoice.Parse(["acr", "knn:0"]));
        Assert.Throws<FormatException>(() => ScorerChoice.Parse(["b2", "b2"]));
        Assert.Throws<FormatException>(() => ScorerChoice.Parse(["lof"]));
    }

    [Fact]
    public void Folds_hold_out_disjoint_classes_or_leave_one_class_out()
    {
        var thirteen = MetaValidation.Folds(13, 4);
        Assert.Equal(2, thirteen.Count);
        Assert.Equal([7, 6], thirteen.Select(f => f.HeldOut.Length).ToArray());
        Assert.Equal(Enumerable.Range(0, 13), thirteen.SelectMany(f => f.HeldOut).Order());
        Assert.All(thirteen, f => Assert.Equal(13, f.HeldOut.Length + f.Train.Length));
        Assert.Empty(thirteen[0].HeldOut.Intersect(thirteen[1].HeldOut));
        Assert.All(thirteen, f => Assert.False(f.AnomaliesFromTraining));
        Assert.Equal(thirteen[0].HeldOut, MetaValidation.Folds(13, 4)[0].HeldOut); // seeded

        var four = MetaValidation.Folds(4, 1);
        Assert.Equal([0, 1, 2, 3], four.SelectMany(f => f.HeldOut).Order().ToArray());

        var two = MetaValidation.Folds(2, 0);
        Assert.Equal(2, two.Count);
        Assert.All(two, f => Assert.True(f.AnomaliesFromTraining && f.HeldOut.Length == 1 && f.Train.Length == 1));
        Assert.Equal(3, MetaValidation.Folds(3, 0).Count);
    }

    private static TabularDataset Blobs(int classes, int rowsPerClass, int d, ulong seed, Func<string, bool>? poison = null)
    {
        var rng = new SeededRandom(seed);
        var poisonRng = new SeededRandom(seed + 99);
        var labels = new List<string>();
        var x = new List<float>();
        for (var c = 0; c < classes; c++)
        {
            var label = ((char)('a' + c)).ToString();
            for (var r = 0; r < rowsPerClass; r++)
            {
                labels.Add(label);
                for (var j = 0; j < d; j++)
                {
                    var clean = (float)((((c * 7) + (j * 3)) % 5) + rng.NextNormal());
                    x.Add(poison?.Invoke(label) == true ? (float)(poisonRng.NextNormal() * 1000) : clean);
                }
            }
        }

        return new TabularDataset([.. x], labels.Count, d, Enumerable.Range(0, d).Select(j => $"f{j}").ToArray(), [.. labels], null, "blobs");
    }

    private static ZeroShotProtocolOptions ValidatedOptions(IDetector detector) => new()
    {
        Seeds = 1,
        Contaminations = [0.05, 0.2],
        Training = new MetaTrainingOptions { Iterations = 20, TasksPerIteration = 4, TaskSize = 32 },
        DetectorOptions = DetectorOptionResolver.Resolve(detector, null),
        Recipe = TrainingRecipe.Validated,
        Validation = new MetaValidationOptions { Draws = 2, Checkpoints = 4 },
    };

    private static float[] Probe(DetectorModel model, ComputeBackend backend, int d)
    {
        var rng = new SeededRandom(1234);
        var rows = Enumerable.Range(0, 40 * d).Select(_ => (float)rng.NextNormal()).ToArray();
        using var scorer = new Scoring.ZeroShotScorer(model, backend);
        return scorer.Score(rows, [20, 20], Nn.BatchNormMode.Batch);
    }

    [Fact]
    public void Test_classes_never_reach_training_preprocessing_or_selection()
    {
        var registry = PluginCatalog.Load(PluginCatalog.SearchPath()).Registry;
        using var backend = registry.CreateBackend("cpu");
        var detector = registry.GetDetector("deep-svdd");
        var options = ValidatedOptions(detector);
        const int d = 5;
        var protocol = new ZeroShotByClassProtocol(detector, backend);

        // 8 classes: a–d train, e–h test. The poisoned copy replaces every test-class row by noise of scale 1000.
        using var clean = protocol.Run(Blobs(8, 50, d, 3), options);
        using var poisoned = protocol.Run(Blobs(8, 50, d, 3, label => label[0] >= 'e'), options);
        Assert.Equal(["a", "b", "c", "d"], clean.Split.TrainClasses);

        string Selection(ZeroShotEvaluation e) => JsonSerializer.Serialize(e.Seeds[0].Selection! with { Seconds = 0 }, Json);
        Assert.Equal(Selection(clean), Selection(poisoned));
        Assert.Equal(clean.Standardizer.Mean, poisoned.Standardizer.Mean);
        Assert.Equal(clean.Standardizer.Std, poisoned.Standardizer.Std);
        Assert.Equal(clean.Seeds[0].FinalLoss, poisoned.Seeds[0].FinalLoss);
        Assert.Equal(Probe(clean.FirstModel, backend, d), Probe(poisoned.FirstModel, backend, d));
        Assert.Equal(2, clean.Seeds[0].Selection!.Folds.Count);
        Assert.All(clean.Seeds[0].Selection!.Folds, f => Assert.All(f.HeldOut.Concat(f.Train), c => Assert.Contains(c, clean.Split.TrainClasses)));

        // The poison did reach the test tasks, and poisoning a training class does change the selection's evidence:
        // the comparison above can fail.
        var b2Clean = clean.Summary.Where(s => s.Method == "B2").Select(s => s.AurocMean).ToArray();
        var b2Poisoned = poisoned.Summary.Where(s => s.Method == "B2").Select(s => s.AurocMean).ToArray();
        Assert.NotEqual(b2Clean, b2Poisoned);
        using var trainPoisoned = protocol.Run(Blobs(8, 50, d, 3, label => label == "b"), options);
        Assert.NotEqual(Selection(clean), Selection(trainPoisoned));
    }

    [Fact]
    public void Validated_evaluation_reports_b3_and_selected_and_selects_on_the_validation_auroc()
    {
        var registry = PluginCatalog.Load(PluginCatalog.SearchPath()).Registry;
        using var backend = registry.CreateBackend("cpu");
        var detector = registry.GetDetector("deep-svdd");
        using var result = new ZeroShotByClassProtocol(detector, backend).Run(Blobs(8, 50, 5, 4), ValidatedOptions(detector));
        Assert.Equal(["ACR", "B1", "B2", "B3", "Selected"], result.Methods);
        var selection = result.Seeds[0].Selection!;
        Assert.True(selection.AcrValidated);
        Assert.Equal(selection.Candidates.Max(c => c.MeanAuroc), selection.Candidates.Single(c => c.Name == selection.ScorerName).MeanAuroc);
        Assert.Equal(selection.Checkpoints.Max(c => c.MeanAuroc), selection.Checkpoints.First(c => c.Iteration == selection.Iterations).MeanAuroc);
        Assert.Equal([5, 10, 15, 20], selection.Checkpoints.Select(c => c.Iteration).ToArray());
        Assert.Equal(2 * 2 * 4 * 2, selection.ValidationTasks); // folds × held-out classes × the 4 validation π × draws

        // B3 in the scores equals the scorer on the same task rows; Selected is the chosen combination of the columns.
        var task = result.Scores.Where(r => r.Contamination == 0.2 && r.TestClass == "f").ToArray();
        Assert.All(task, r => Assert.False(float.IsNaN(r.Selected)));
        if (selection.Choice == ScorerChoice.AcrOnly)
        {
            Assert.All(task, r => Assert.Equal(r.Acr, r.Selected));
        }
    }

    [Fact]
    public void With_two_training_classes_acr_is_rank_averaged_with_the_best_validated_training_free_scorer()
    {
        var registry = PluginCatalog.Load(PluginCatalog.SearchPath()).Registry;
        using var backend = registry.CreateBackend("cpu");
        var detector = registry.GetDetector("deep-svdd");
        using var result = new ZeroShotByClassProtocol(detector, backend).Run(Blobs(4, 50, 5, 6), ValidatedOptions(detector));
        var selection = result.Seeds[0].Selection!;
        Assert.False(selection.AcrValidated);
        Assert.NotNull(selection.Note);
        Assert.Empty(selection.Checkpoints);
        Assert.Equal(20, selection.Iterations); // the requested iterations: nothing to stop early on
        Assert.All(selection.Candidates, c => Assert.DoesNotContain("acr", c.Scorer));
        var best = selection.Candidates.MaxBy(c => c.MeanAuroc)!;
        Assert.Equal(["acr", .. best.Scorer], selection.Scorer);
        Assert.Equal(2, selection.Folds.Count);
        Assert.All(selection.Folds, f => Assert.True(f.AnomaliesFromTraining));
    }

    [Fact]
    public void A_model_applies_its_chosen_scorer_and_keeps_it_through_its_file()
    {
        using var tmp = new TempDirectory();
        var registry = PluginCatalog.Load(PluginCatalog.SearchPath()).Registry;
        using var backend = registry.CreateBackend("cpu");
        var data = Blobs(4, 60, 5, 8);
        var request = new TrainingRequest { Training = new MetaTrainingOptions { Iterations = 12, TasksPerIteration = 4, TaskSize = 32 } };
        using var trained = new RecipeTrainer(registry).Train(data, request, TrainingRecipe.Validated, new MetaValidationOptions { Draws = 1, Checkpoints = 3 }, backend);
        var selection = trained.Config.Selection!;
        Assert.Equal(2, selection.Folds.Count);
        Assert.Equal(selection.Iterations, trained.Config.Training.Iterations);

        // Force a combination so the test sees it applied: rank-mean(ACR, kNN(k=5)) on 30-row batches.
        var choice = new ScorerChoice([ScoreComponent.Acr, ScoreComponent.Knn(5)]);
        // The wrappers share trained's model, which the using above disposes.
        var forced = new TrainedModel(trained.Model, trained.Standardizer, trained.Config with { Selection = selection with { Scorer = choice.Ids, ScorerName = choice.Name } }, backend);
        var path = tmp.File("m.safetensors");
        forced.Save(path);
        using var loaded = TrainedModel.Load(path, registry, backend);
        Assert.Equal(choice, loaded.Scorer);
        Assert.Equal(JsonSerializer.Serialize(forced.Config.Selection, Json), JsonSerializer.Serialize(loaded.Config.Selection, Json));

        var request30 = new ScoringRequest { BatchSize = 30 };
        var scores = loaded.Score(data, request30);
        Assert.Equal(forced.Score(data, request30).Scores, scores.Scores);
        var acrOnly = new ScoringRequest { BatchSize = 30, Mode = Nn.BatchNormMode.Batch };
        var plain = new TrainedModel(trained.Model, trained.Standardizer, trained.Config with { Selection = null }, backend);
        var acr = plain.Score(data, acrOnly).Scores.ToArray();
        var rows = RowGather.Gather(trained.Standardizer.Transform(data.Features), 5, [.. scores.Layout.Order]);
        var knn = Evaluation.InBatchKnnScorer.Score(rows, 5, [.. scores.Layout.Lengths], 5);
        Assert.Equal(choice.Combine([acr, knn], [.. scores.Layout.Lengths]), scores.Scores);
    }

    [Fact]
    public void Train_records_the_selection_by_default_not_with_the_paper_recipe_and_refuses_an_unknown_recipe()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 60, features: 5));
        string[] common = ["train", "--data", data, "--label", "cls", "--iterations", "10", "--tasks", "4", "--task-size", "32", "--quiet"];
        var validated = CliHarness.Run([.. common, "--out", tmp.File("v.safetensors")]);
        Assert.True(validated.ExitCode == 0, validated.Error);
        Assert.Contains("meta-validation", validated.Output);
        var paper = CliHarness.Run([.. common, "--recipe", "paper", "--out", tmp.File("p.safetensors")]);
        Assert.True(paper.ExitCode == 0, paper.Error);

        var registry = PluginCatalog.Load(PluginCatalog.SearchPath()).Registry;
        using var backend = registry.CreateBackend("cpu");
        using (var v = TrainedModel.Load(tmp.File("v.safetensors"), registry, backend))
        {
            Assert.NotNull(v.Config.Selection);
            Assert.NotEmpty(v.Config.Selection!.Candidates);
        }

        using (var p = TrainedModel.Load(tmp.File("p.safetensors"), registry, backend))
        {
            Assert.Null(p.Config.Selection);
        }

        var bad = CliHarness.Run([.. common, "--recipe", "best", "--out", tmp.File("b.safetensors")]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--recipe must be validated or paper", bad.Error);
        Assert.False(File.Exists(tmp.File("b.safetensors")));
    }
}
