using Acr.Compute;
using Acr.Detectors;
using Acr.Numerics;
using Acr.Testing;

namespace Acr.Host.Tests;

/// <summary>
/// Meta-training honours the stream contract: the losses are read every N steps (a wait each) and the model does not
/// depend on N; nothing assumes zeroed allocations or synchronous execution, so a NaN-poisoned CPU backend and a
/// simulated asynchronous device train the very same models as their synchronous counterparts.
/// </summary>
public class TrainingStreamTests
{
    private static readonly ComponentRegistry Registry = PluginCatalog.Load(PluginCatalog.SearchPath()).Registry;

    private static (float[] X, int Columns, int[][] RowsByClass) Data()
    {
        var data = CsvDatasetReader.ReadFromStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(SyntheticCsv.Make(classes: 3, rowsPerClass: 80, features: 4))), "synthetic",
            new CsvReadOptions { LabelColumn = "cls" });
        var rows = new[] { "a", "b", "c" }.Select(c => Enumerable.Range(0, data.Rows).Where(r => data.Labels![r] == c).ToArray()).ToArray();
        return (data.Features, data.Columns, rows);
    }

    private static (float[][] State, double[] Losses, int Reports) Train(ComputeBackend backend, int lossEvery, int iterations = 13)
    {
        var (x, columns, rows) = Data();
        var detector = Registry.GetDetector("deep-svdd");
        var options = new MetaTrainingOptions { Iterations = iterations, TasksPerIteration = 3, TaskSize = 32, LossReadInterval = lossEvery };
        var reports = 0;
        using var model = ModelTrainer.TrainModel(detector, DetectorOptionResolver.Resolve(detector, null), 5, x, columns, rows, options, backend, _ => reports++, default, out var losses);
        return (model.State().Select(s => s.Tensor.ToArray()).ToArray(), losses, reports);
    }

    private static void AssertSameModel((float[][] State, double[] Losses, int Reports) expected, (float[][] State, double[] Losses, int Reports) actual, string what)
    {
        Assert.Equal(expected.State.Length, actual.State.Length);
        for (var i = 0; i < expected.State.Length; i++)
        {
            TestData.AssertBitIdentical(expected.State[i], actual.State[i], $"{what}: tensor {i}");
        }

        Assert.Equal(expected.Losses, actual.Losses);
    }

    [Fact]
    public void Reading_the_loss_every_N_steps_gives_the_same_model_and_every_loss()
    {
        using var backend = Registry.CreateBackend("cpu");
        var everyStep = Train(backend, 1);
        foreach (var n in new[] { 2, 7, 13, 50 })
        {
            var result = Train(backend, n);
            AssertSameModel(everyStep, result, $"loss every {n}");
            Assert.Equal(13, result.Reports); // the progress bar still moves every iteration
        }

        Assert.All(everyStep.Losses, l => Assert.True(double.IsFinite(l) && l > 0));
    }

    [Fact]
    public void The_device_waits_once_per_loss_read_not_once_per_step()
    {
        using var every = new QueuedDeviceBackend();
        Train(every, 1, iterations: 12);
        using var batched = new QueuedDeviceBackend();
        Train(batched, 6, iterations: 12);
        Assert.True(batched.Waits + 6 <= every.Waits, $"loss every step waited {every.Waits} times, every 6 steps {batched.Waits}");
    }

    [Fact]
    public void A_simulated_asynchronous_device_trains_the_same_model_as_the_synchronous_reference()
    {
        using var reference = new ReferenceBackend();
        using var queued = new QueuedDeviceBackend();
        AssertSameModel(Train(reference, 4, iterations: 6), Train(queued, 4, iterations: 6), "queued device vs reference");
    }

    [Fact]
    public void Nan_poisoned_allocations_change_nothing()
    {
        using var plain = Registry.CreateBackend("cpu");
        using var poisoned = Registry.CreateBackend("cpu", options: new Dictionary<string, string> { ["poison"] = "true" });
        AssertSameModel(Train(plain, 3), Train(poisoned, 3), "poisoned CPU vs CPU");
    }

    [Fact]
    public void A_non_finite_loss_names_its_iteration_even_between_reads()
    {
        // An absurd learning rate blows the weights up within a few steps; the losses are read every 10 steps, yet the
        // message names the first iteration whose loss was not finite. (An infinite input would not do: ReLU maps the
        // NaN it causes to 0.)
        using var backend = Registry.CreateBackend("cpu");
        var (x, columns, rows) = Data();
        var detector = Registry.GetDetector("deep-svdd");
        var options = new MetaTrainingOptions { Iterations = 30, TasksPerIteration = 3, TaskSize = 32, LossReadInterval = 10, Adam = new Acr.Nn.AdamOptions(LearningRate: 1e30f) };
        var e = Assert.Throws<AcrUsageException>(() => ModelTrainer.TrainModel(detector, DetectorOptionResolver.Resolve(detector, null), 1, x, columns, rows, options, backend, null, default, out _));
        var iteration = int.Parse(System.Text.RegularExpressions.Regex.Match(e.Message, @"at iteration (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(iteration, 2, 9);
        Assert.Contains("--lr", e.Message, StringComparison.Ordinal);

        options = options with { LossReadInterval = 1 };
        var each = Assert.Throws<AcrUsageException>(() => ModelTrainer.TrainModel(detector, DetectorOptionResolver.Resolve(detector, null), 1, x, columns, rows, options, backend, null, default, out _));
        Assert.Equal(e.Message, each.Message);
    }
}
