using System.Text.RegularExpressions;

namespace Acr.Backends.Gpu.Tests;

/// <summary>
/// The GPU kernels on a real OpenCL device: POCL 6.0's CPU device, inside the Debian 13 root of
/// <c>scripts/opencl-root.sh</c>. The built <c>acr</c> runs there through chroot: its selftest must pass every op on
/// <c>opencl</c> with a kernel, and a few training iterations must give the CPU backend's losses and scores within float
/// tolerance. One class, so its tests run one after the other (the script serialises runs in the root anyway).
/// </summary>
public sealed partial class OpenClTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    // Inside the repository, which is bind-mounted into the root at the same path.
    private readonly string _directory = Path.Combine(AppContext.BaseDirectory, "opencl-" + Guid.NewGuid().ToString("N")[..8]);

    public OpenClTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [OpenClRootFact]
    public void Selftest_on_pocl_passes_every_op_with_a_kernel()
    {
        var (code, output) = OpenClRoot.Run(OpenClRoot.Acr("selftest", "--backend", "opencl"), Limit);
        Assert.True(code == 0, $"acr selftest --backend opencl exited with {code}:\n{output}");
        Assert.Contains("opencl backend on opencl:0", output, StringComparison.Ordinal);
        Assert.Contains("Portable", OpenClRoot.Run(OpenClRoot.Acr("devices"), Limit).Output, StringComparison.Ordinal);
        Assert.Contains("all ops agree with the reference", output, StringComparison.Ordinal);
        var ops = OpLine().Matches(output);
        Assert.True(ops.Count >= 28, $"expected every op of the contract (28) in the table:\n{output}");
        Assert.All(ops, m => Assert.Equal("ok kernel", $"{m.Groups["status"].Value} {m.Groups["how"].Value}"));
    }

    [OpenClRootFact]
    public void A_few_training_iterations_on_pocl_match_the_cpu_backend()
    {
        var csv = Path.Combine(_directory, "blobs.csv");
        File.WriteAllText(csv, GpuTrainingTests.Blobs(classes: 4, rowsPerClass: 50, features: 5));

        (double[] Losses, float[] Scores) Run(string backend)
        {
            var model = Path.Combine(_directory, backend + ".safetensors");
            var scores = Path.Combine(_directory, backend + ".csv");
            var (code, output) = OpenClRoot.Run(OpenClRoot.Acr("train", "--recipe", "paper", "--backend", backend, "--data", csv, "--label", "cls", "--train-classes", "a,b,c",
                "--iterations", "6", "--tasks", "3", "--task-size", "32", "--loss-every", "1", "--seed", "11",
                "--option", "hidden=16", "--option", "layers=2", "--option", "embedding=8", "--out", model), Limit);
            Assert.True(code == 0, $"acr train --backend {backend} exited with {code}:\n{output}");
            var losses = LossLine().Matches(output).Select(m => double.Parse(m.Groups["loss"].Value, CultureInfo.InvariantCulture)).ToArray();
            Assert.True(losses.Length == 6, $"expected a loss for each of the 6 iterations:\n{output}");
            (code, output) = OpenClRoot.Run(OpenClRoot.Acr("score", "--backend", backend, "--model", model, "--data", csv, "--label", "cls", "--batch-size", "50", "--out", scores), Limit);
            Assert.True(code == 0, $"acr score --backend {backend} exited with {code}:\n{output}");
            return (losses, File.ReadAllLines(scores).Skip(1).Select(l => float.Parse(l.Split(',')[2], CultureInfo.InvariantCulture)).ToArray());
        }

        var cpu = Run("cpu");
        var opencl = Run("opencl");
        for (var i = 0; i < cpu.Losses.Length; i++)
        {
            // The CLI prints five significant digits; the backends sum in different orders.
            Assert.True(Math.Abs(cpu.Losses[i] - opencl.Losses[i]) <= 2e-4 * (1 + Math.Abs(cpu.Losses[i])), $"iteration {i + 1}: cpu {cpu.Losses[i]:R}, opencl {opencl.Losses[i]:R}");
        }

        Assert.Equal(200, opencl.Scores.Length);
        Acr.Testing.TestData.AssertClose(cpu.Scores, opencl.Scores, 1e-3, "scores");
    }

    [GeneratedRegex(@"^\s+(?<op>[a-z][a-z0-9-]+)\s+(?<status>ok|FAILED)\s+\d+ samples\s+(?<how>kernel|reference on the host)", RegexOptions.Multiline)]
    private static partial Regex OpLine();

    [GeneratedRegex(@"train: iteration \d+/\d+\s+loss (?<loss>[-+0-9.eE]+)\s", RegexOptions.Multiline)]
    private static partial Regex LossLine();
}
