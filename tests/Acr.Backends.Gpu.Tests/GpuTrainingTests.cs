using Acr.Numerics;

namespace Acr.Backends.Gpu.Tests;

/// <summary>
/// End to end through the library API, with the plugins loaded from the folder beside the tests: a few meta-training
/// iterations of a small Deep SVDD on ILGPU's CPU accelerator give the CPU backend's losses and scores within float
/// tolerance (the two backends sum in different orders, so bit equality is not expected).
/// </summary>
public sealed class GpuTrainingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("acr-gpu-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_few_training_iterations_on_the_simulator_match_the_cpu_backend()
    {
        var csv = Path.Combine(_directory, "blobs.csv");
        File.WriteAllText(csv, Blobs(classes: 4, rowsPerClass: 50, features: 5));
        using var acr = AcrRuntime.Load();
        var data = CsvDatasetReader.Read(csv, new CsvReadOptions { LabelColumn = "cls" });
        var request = new TrainingRequest
        {
            TrainClasses = ["a", "b", "c"],
            DetectorOptions = new Dictionary<string, string> { ["hidden"] = "16", ["layers"] = "2", ["embedding"] = "8" },
            Seed = 11,
            Training = new MetaTrainingOptions { Iterations = 5, TaskSize = 32, TasksPerIteration = 3, LossReadInterval = 2 },
        };

        (double[] Losses, float[] Scores) Run(string backendName)
        {
            using var backend = acr.CreateBackend(backendName);
            Assert.Equal(backendName, backend.Name);
            using var model = acr.Train(data, request, backend);
            return ([.. model.TrainingLosses], model.Score(data, new ScoringRequest { BatchSize = 50 }).ScoresByRow());
        }

        var cpu = Run("cpu");
        var gpu = Run("ilgpu-cpu");
        Assert.Equal(5, gpu.Losses.Length);
        for (var i = 0; i < cpu.Losses.Length; i++)
        {
            Assert.True(double.IsFinite(gpu.Losses[i]), $"loss {i} is {gpu.Losses[i]}");
            Assert.True(Math.Abs(cpu.Losses[i] - gpu.Losses[i]) <= 1e-4 * (1 + Math.Abs(cpu.Losses[i])), $"iteration {i}: cpu {cpu.Losses[i]:R}, ilgpu-cpu {gpu.Losses[i]:R}");
        }

        Acr.Testing.TestData.AssertClose(cpu.Scores, gpu.Scores, 1e-3, "scores");
    }

    internal static string Blobs(int classes, int rowsPerClass, int features)
    {
        var rng = new SeededRandom(5);
        var sb = new StringBuilder("cls");
        for (var j = 0; j < features; j++)
        {
            sb.Append(",f").Append(j);
        }

        sb.AppendLine();
        for (var c = 0; c < classes; c++)
        {
            for (var r = 0; r < rowsPerClass; r++)
            {
                sb.Append((char)('a' + c));
                for (var j = 0; j < features; j++)
                {
                    sb.Append(',').Append((((c * 7) + (j * 3)) % 5 + rng.NextNormal()).ToString("R", CultureInfo.InvariantCulture));
                }

                sb.AppendLine();
            }
        }

        return sb.ToString();
    }
}
