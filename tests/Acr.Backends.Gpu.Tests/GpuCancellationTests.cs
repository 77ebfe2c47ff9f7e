namespace Acr.Backends.Gpu.Tests;

/// <summary>
/// Ctrl+C during a GPU run: the built <c>acr</c> trains on ILGPU's CPU accelerator (the GPU kernels, queued on the
/// backend's stream) and gets SIGINT mid-way, as a terminal sends it; it must stop between iterations, drain and
/// release the device, exit with 130 and leave no model file, partial or whole, behind.
/// </summary>
public sealed class GpuCancellationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("acr-gpu-cancel-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Sigint_during_training_on_the_gpu_backend_exits_130_and_writes_no_model()
    {
        var csv = Path.Combine(_directory, "blobs.csv");
        File.WriteAllText(csv, GpuTrainingTests.Blobs(classes: 4, rowsPerClass: 50, features: 5));
        var model = Path.Combine(_directory, "model.safetensors");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "acr.dll"), "train", "--recipe", "paper", "--backend", "ilgpu-cpu", "--data", csv, "--label", "cls",
                     "--train-classes", "a,b,c", "--iterations", "5000", "--tasks", "2", "--task-size", "16", "--loss-every", "1",
                     "--option", "hidden=8", "--option", "layers=1", "--option", "embedding=4", "--out", model])
        {
            start.ArgumentList.Add(a);
        }

        var output = new StringBuilder();
        using var training = new ManualResetEventSlim();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Progress is printed every 500 iterations: the first line means the run is mid-way, with kernels queued.
            Assert.True(training.Wait(TimeSpan.FromMinutes(3)), $"acr train printed no progress within 3 minutes:\n{Text()}");
            Assert.False(process.HasExited, $"acr train ended before it could be interrupted:\n{Text()}");
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
                Assert.Equal(0, kill.ExitCode);
            }

            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), $"acr train did not stop within 60 s of SIGINT:\n{Text()}");
            process.WaitForExit();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.True(process.ExitCode == 130, $"exit code {process.ExitCode}, expected 130:\n{Text()}");
        Assert.Contains("cancelled.", Text(), StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", Text(), StringComparison.Ordinal);
        Assert.Equal("blobs.csv", string.Join(", ", Directory.GetFiles(_directory).Select(Path.GetFileName)));

        void Record(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            if (line.Contains("train: iteration", StringComparison.Ordinal))
            {
                training.Set();
            }
        }

        string Text()
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }
}
