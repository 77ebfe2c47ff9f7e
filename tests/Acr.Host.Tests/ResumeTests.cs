using System.Diagnostics;
using Acr.Compute;
using Acr.Host.Models;
using Acr.Nn;
using Acr.Numerics;

namespace Acr.Host.Tests;

/// <summary>
/// Runs that survive interruption: a meta-training run stopped after a checkpoint — by cancellation in-process, or by
/// SIGKILL of the real <c>acr</c> process — resumes to the byte-identical model file of an uninterrupted run; an
/// evaluation stopped mid-way resumes after its completed seeds to the outputs of an uninterrupted run; a resume with other
/// arguments or data is refused with exit code 2 and a message naming what differs.
/// </summary>
public sealed class ResumeTests : IDisposable
{
    private static readonly string[] Tiny = ["--tasks", "2", "--task-size", "16", "--option", "hidden=8", "--option", "layers=1", "--option", "embedding=4", "--quiet"];

    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Data(ulong seed = 1) => _tmp.Write($"d{seed}.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 60, features: 5, seed: seed));

    private static TrainingRequest Request(int iterations, TrainingCheckpointOptions? checkpoint = null) => new()
    {
        Seed = 5,
        DetectorOptions = new Dictionary<string, string> { ["hidden"] = "8", ["layers"] = "1", ["embedding"] = "4" },
        Training = new MetaTrainingOptions { Iterations = iterations, TasksPerIteration = 3, TaskSize = 16, LossReadInterval = 4 },
        Checkpoint = checkpoint,
    };

    /// <summary>Trains with checkpoints until <paramref name="stopAt"/> cancels the run; returns the iteration the checkpoint holds.</summary>
    private static int TrainUntilCancelled(AcrRuntime acr, ComputeBackend backend, TabularDataset data, int iterations, string checkpoint, int every, Func<int, bool> stopAfterCheckpoint, int stopAtIteration)
    {
        using var cts = new CancellationTokenSource();
        var options = new TrainingCheckpointOptions
        {
            Path = checkpoint,
            Every = every,
            Written = (it, _) =>
            {
                if (stopAfterCheckpoint(it))
                {
                    cts.Cancel();
                }
            },
        };
        Assert.Throws<OperationCanceledException>(() => acr.Train(data, Request(iterations, options), backend, p =>
        {
            if (p.Iteration == stopAtIteration)
            {
                cts.Cancel();
            }
        }, cts.Token));
        return int.Parse(SafeTensorsFile.Read(checkpoint).Metadata["iteration"], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_run_resumed_from_a_periodic_or_a_cancellation_checkpoint_writes_the_model_file_of_an_uninterrupted_run()
    {
        using var acr = AcrRuntime.Load();
        using var backend = acr.CreateBackend("cpu");
        var data = CsvDatasetReader.Read(Data(), new CsvReadOptions { LabelColumn = "cls" });
        const int iterations = 60;
        var full = _tmp.File("full.safetensors");
        byte[] expected;
        IReadOnlyList<double> expectedLosses;
        using (var model = acr.Train(data, Request(iterations), backend))
        {
            model.Save(full);
            expected = File.ReadAllBytes(full);
            expectedLosses = model.TrainingLosses;
        }

        // Stopped right after the periodic checkpoint of iteration 21 (every 7), and mid-interval at iteration 30 (the
        // cancellation writes its own checkpoint): both resume to the same bytes and the same loss history.
        foreach (var (stopAfter, stopAt, holds) in new[] { (21, -1, 21), (-1, 30, 30) })
        {
            var checkpoint = _tmp.File($"run-{holds}.ckpt");
            Assert.Equal(holds, TrainUntilCancelled(acr, backend, data, iterations, checkpoint, 7, it => it == stopAfter, stopAt));
            var resumedAt = -1;
            using var resumed = acr.Train(data, Request(iterations, new TrainingCheckpointOptions { Path = checkpoint, Resume = true, Resumed = it => resumedAt = it }), backend);
            Assert.Equal(holds, resumedAt);
            var path = _tmp.File($"resumed-{holds}.safetensors");
            resumed.Save(path);
            Assert.Equal(expected, File.ReadAllBytes(path));
            Assert.Equal(expectedLosses, resumed.TrainingLosses);
        }
    }

    [Fact]
    public void The_checkpoint_holds_the_state_that_matters_a_resume_without_the_sampler_state_diverges()
    {
        // The test above would pass vacuously if resuming ignored the checkpoint and the remaining iterations did not
        // depend on the state. Here the checkpoint's random generator state is replaced by a fresh stream: the model differs.
        using var acr = AcrRuntime.Load();
        using var backend = acr.CreateBackend("cpu");
        var data = CsvDatasetReader.Read(Data(), new CsvReadOptions { LabelColumn = "cls" });
        var checkpoint = _tmp.File("run.ckpt");
        TrainUntilCancelled(acr, backend, data, 40, checkpoint, 10, it => it == 20, -1);
        var file = SafeTensorsFile.Read(checkpoint);
        var metadata = file.Metadata.ToDictionary(StringComparer.Ordinal);
        var fresh = new SeededRandom(99).State;
        metadata["rng"] = string.Join(",", new[] { fresh.S0, fresh.S1, fresh.S2, fresh.S3 }.Select(w => w.ToString("x16", CultureInfo.InvariantCulture)));
        var tampered = _tmp.File("tampered.ckpt");
        SafeTensorsWriter.Write(tampered, metadata, file.Tensors.Select(t => (t.Name, t.Shape, (ReadOnlyMemory<float>)t.Data)));

        using var good = acr.Train(data, Request(40, new TrainingCheckpointOptions { Path = checkpoint, Resume = true }), backend);
        using var bad = acr.Train(data, Request(40, new TrainingCheckpointOptions { Path = tampered, Resume = true }), backend);
        Assert.Equal(good.TrainingLosses.Take(20), bad.TrainingLosses.Take(20));
        Assert.NotEqual(good.TrainingLosses.Skip(20), bad.TrainingLosses.Skip(20));
    }

    [Fact]
    public void Sigkill_mid_run_then_resume_gives_the_model_file_of_an_uninterrupted_run()
    {
        var csv = Data();
        var killed = _tmp.File("killed.safetensors");
        var checkpoint = killed + ".ckpt";

        // The run is killed as soon as its first checkpoint is on disk. On a heavily loaded machine the test may only see
        // the checkpoint after the child has finished; then it tries again with a four times longer run.
        string[] run = [];
        for (var iterations = 2000; ; iterations *= 4)
        {
            File.Delete(killed);
            run = ["train", "--data", csv, "--label", "cls", "--iterations", iterations.ToString(CultureInfo.InvariantCulture), .. Tiny, "--checkpoint-every", "50"];
            var exit = RunAndKill([.. run, "--out", killed], checkpoint);
            if (exit == 137 || iterations >= 32_000)
            {
                Assert.Equal(137, exit); // 128 + SIGKILL: killed mid-run, not finished
                break;
            }
        }

        Assert.False(File.Exists(killed), "the killed run wrote a model");
        var at = int.Parse(SafeTensorsFile.Read(checkpoint).Metadata["iteration"], CultureInfo.InvariantCulture);
        Assert.True(at >= 50 && at % 50 == 0, $"checkpoint at iteration {at}");

        var resumed = CliHarness.Run([.. run, "--out", killed, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.False(File.Exists(checkpoint), "the checkpoint is deleted once the model is saved");
        Assert.Empty(Directory.GetFiles(_tmp.Path, ".*.tmp"));
        var full = _tmp.File("full.safetensors");
        Assert.Equal(0, CliHarness.Run([.. run.SkipLast(2), "--out", full]).ExitCode);
        Assert.Equal(File.ReadAllBytes(full), File.ReadAllBytes(killed));
    }

    /// <summary>Starts the built <c>acr</c> with <paramref name="args"/>, SIGKILLs it once <paramref name="file"/> exists, and returns its exit code.</summary>
    private static int RunAndKill(string[] args, string file)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "acr.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(file) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                Thread.Sleep(1);
            }

            if (!process.HasExited)
            {
                Assert.True(File.Exists(file), "no checkpoint appeared within 2 minutes");
                process.Kill(); // SIGKILL: no handler runs, nothing is flushed or cleaned up
            }

            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.True(process.ExitCode is 0 or 137, $"exit code {process.ExitCode}:\n{stderr.Result}");
        return process.ExitCode;
    }

    /// <summary>Runs the command line in-process and cancels it (as Ctrl+C does) once <paramref name="file"/> exists.</summary>
    private static int RunUntil(string file, params string[] args)
    {
        using var cts = new CancellationTokenSource();
        var cli = Task.Run(() => new Acr.Host.Cli.AcrCli(Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(TextWriter.Null) }), TextWriter.Null)
            .Run(args, cts.Token));
        while (!File.Exists(file) && !cli.IsCompleted)
        {
            Thread.Sleep(2);
        }

        cts.Cancel();
        return cli.GetAwaiter().GetResult();
    }

    [Fact]
    public void An_interrupted_evaluation_resumes_after_its_completed_seeds_to_the_outputs_of_an_uninterrupted_run()
    {
        var csv = Data();
        string[] run = ["evaluate", "--data", csv, "--label", "cls", "--iterations", "300", "--seeds", "3", "--contamination", "0.1,0.2", .. Tiny];
        var full = _tmp.File("full");
        Assert.Equal(0, CliHarness.Run([.. run, "--out", full]).ExitCode);

        var part = _tmp.File("part");
        Assert.Equal(130, RunUntil(Path.Combine(part, "resume", "seed-1.safetensors"), [.. run, "--out", part]));
        var kept = Directory.GetFiles(Path.Combine(part, "resume")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal<string>(["seed-0.safetensors", "seed-1.safetensors"], kept);
        Assert.False(File.Exists(Path.Combine(part, "metrics.json")));

        // Without --resume the completed seeds are not thrown away.
        var again = CliHarness.Run([.. run, "--out", part]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("pass --resume", again.Error, StringComparison.Ordinal);

        var resumed = CliHarness.Run([.. run, "--out", part, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.False(Directory.Exists(Path.Combine(part, "resume")), "the completed seeds are deleted once the outputs are written");
        foreach (var name in new[] { "model.safetensors", "scores.csv", "roc-pi0.1.svg", "pr-pi0.2.svg" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(full, name)), File.ReadAllBytes(Path.Combine(part, name)));
        }

        // metrics.json is the same but for the wall times of each seed's training and meta-validation.
        Assert.Equal(WithoutTimes(Path.Combine(full, "metrics.json")), WithoutTimes(Path.Combine(part, "metrics.json")));

        static string WithoutTimes(string path) =>
            System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(path), "\"(training|validation)Seconds\": [^,]+,", "\"$1Seconds\": T,");
    }

    [Fact]
    public void A_resume_with_other_arguments_or_data_or_without_a_checkpoint_is_refused_with_exit_2()
    {
        var csv = Data();
        var model = _tmp.File("m.safetensors");
        string[] run = ["train", "--data", csv, "--label", "cls", "--iterations", "100000", .. Tiny, "--out", model];
        var nothing = CliHarness.Run([.. run, "--resume"]);
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("there is no checkpoint at", nothing.Error, StringComparison.Ordinal);

        Assert.Equal(130, RunUntil(model + ".ckpt", [.. run, "--checkpoint-every", "20"]));
        var kept = CliHarness.Run([.. run, "--checkpoint-every", "20"]);
        Assert.Equal(2, kept.ExitCode);
        Assert.Contains("pass --resume to continue it", kept.Error, StringComparison.Ordinal);

        var lr = CliHarness.Run([.. run, "--lr", "0.01", "--seed", "7", "--resume"]);
        Assert.Equal(2, lr.ExitCode);
        Assert.Contains("belongs to a different run", lr.Error, StringComparison.Ordinal);
        Assert.Contains("--lr is '0.01' here but '0.001' in the checkpoint", lr.Error, StringComparison.Ordinal);
        Assert.Contains("--seed is '7' here but '0' in the checkpoint", lr.Error, StringComparison.Ordinal);

        var other = Data(seed: 2);
        var data = CliHarness.Run([.. run.Select(a => a == csv ? other : a), "--resume"]);
        Assert.Equal(2, data.ExitCode);
        Assert.Contains("the data differ", data.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("--lr", data.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
        Assert.True(File.Exists(model + ".ckpt"), "a refused resume keeps the checkpoint");

        // An evaluation resumed with another --seeds is refused too.
        string[] evaluate = ["evaluate", "--data", csv, "--label", "cls", "--iterations", "300", "--seeds", "3", "--contamination", "0.1", .. Tiny, "--out", _tmp.File("e")];
        Assert.Equal(130, RunUntil(Path.Combine(_tmp.File("e"), "resume", "seed-0.safetensors"), evaluate));
        var seeds = CliHarness.Run([.. evaluate.Select(a => a == "3" ? "4" : a), "--resume"]);
        Assert.Equal(2, seeds.ExitCode);
        Assert.Contains("--seeds is '4' here but '3'", seeds.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_generator_restored_from_its_state_continues_the_same_stream_including_a_cached_normal_deviate()
    {
        var a = new SeededRandom(17);
        _ = a.NextNormal(); // leaves the second Box–Muller deviate cached
        var b = SeededRandom.FromState(a.State);
        Assert.NotNull(a.State.SpareNormal);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(a.NextNormal(), b.NextNormal());
            Assert.Equal(a.NextUInt64(), b.NextUInt64());
        }

        Assert.Throws<ArgumentException>(() => SeededRandom.FromState(new SeededRandomState(0, 0, 0, 0, null)));
    }

    [Fact]
    public void A_sampler_restored_from_its_state_draws_the_same_tasks_and_refuses_a_state_of_other_rows()
    {
        var features = new float[40];
        int[][] classes = [[0, 1, 2, 3, 4], [5, 6, 7], [8, 9]];
        TaskSampler Make() => new(features, 4, classes, taskSize: 4, normalRows: 3, new SeededRandom(3));
        var a = Make();
        var rows = new int[8];
        var labels = new float[8];
        a.Sample(2, rows, labels);
        var b = Make();
        b.RestoreState(a.CaptureState());
        var rowsB = new int[8];
        var labelsB = new float[8];
        for (var i = 0; i < 20; i++)
        {
            a.Sample(2, rows, labels);
            b.Sample(2, rowsB, labelsB);
            Assert.Equal(rows, rowsB);
            Assert.Equal(labels, labelsB);
        }

        var state = a.CaptureState();
        var wrong = state with { ClassRows = [[0, 1, 2, 3, 9], .. state.ClassRows.Skip(1)] };
        Assert.Contains("not an order of this sampler's rows", Assert.Throws<ArgumentException>(() => b.RestoreState(wrong)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adam_restored_steps_are_validated()
    {
        using var backend = new Acr.Compute.ReferenceBackend();
        using var p = new Acr.Autograd.Parameter("w", Initializers.Constant(backend, Acr.Tensors.TensorShape.Vector(3), 1f));
        using var adam = new Adam(backend, [p], new AdamOptions());
        adam.RestoreSteps(5, [4]);
        Assert.Equal(5, adam.StepCount);
        Assert.Equal([4], adam.ParameterSteps);
        Assert.Throws<ArgumentException>(() => adam.RestoreSteps(3, [4]));
        Assert.Throws<ArgumentException>(() => adam.RestoreSteps(3, [1, 1]));
    }
}
