namespace Acr.Backends.Gpu.Tests;

/// <summary>
/// The Debian 13 root with POCL 6.0 that <c>scripts/opencl-root.sh prepare</c> makes once per machine (the one real
/// OpenCL device ILGPU 1.5.3 accepts on a machine without a GPU), and runs of the built <c>acr</c> inside it through the
/// script's <c>run</c> (chroot, with the .NET install and this repository bind-mounted at the same paths).
/// </summary>
internal static class OpenClRoot
{
    /// <summary>The root's path: <c>ACR_OPENCL_ROOT</c>, else the script's default.</summary>
    public static string Path { get; } = Environment.GetEnvironmentVariable("ACR_OPENCL_ROOT") is { Length: > 0 } p ? p.TrimEnd('/') : "/var/cache/acr/opencl-root";

    /// <summary>The repository this test assembly was built from (the folder holding <c>scripts/opencl-root.sh</c>).</summary>
    public static string? Repository { get; } = FindRepository();

    /// <summary>The script.</summary>
    public static string Script => System.IO.Path.Combine(Repository ?? throw new InvalidOperationException("no repository"), "scripts", "opencl-root.sh");

    /// <summary>Why the OpenCL tests cannot run here, or null when they can.</summary>
    public static string? Unavailable { get; } = Check(Path, Repository, Environment.UserName, OperatingSystem.IsLinux());

    /// <summary>The <c>acr</c> built beside these tests (with its plugins), as a command line for <see cref="Run"/>.</summary>
    public static string[] Acr(params string[] args) => ["dotnet", System.IO.Path.Combine(AppContext.BaseDirectory, "acr.dll"), .. args];

    /// <summary>Runs <paramref name="command"/> inside the root; returns its exit code and its output and error together.</summary>
    /// <param name="command">The program and its arguments (paths must lie in this repository or the root).</param>
    /// <param name="timeout">How long it may run before it is killed and the test fails.</param>
    public static (int ExitCode, string Output) Run(string[] command, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[Script, "run", "--", .. command])
        {
            start.ArgumentList.Add(a);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"'{string.Join(' ', command)}' inside {Path} ran past {timeout.TotalSeconds:F0} s and was killed; output so far:\n{output}");
        }

        process.WaitForExit(); // drains the output
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }
    }

    /// <summary>Why the OpenCL tests cannot run with this root, repository and user, or null when they can.</summary>
    internal static string? Check(string root, string? repository, string userName, bool linux)
    {
        if (!linux)
        {
            return "the OpenCL root is a Linux chroot";
        }

        if (repository is null)
        {
            return $"scripts/opencl-root.sh was not found above {AppContext.BaseDirectory}";
        }

        if (!File.Exists(System.IO.Path.Combine(root, "etc", "acr-opencl-root")))
        {
            return $"no OpenCL root at {root}: 'sudo scripts/opencl-root.sh prepare' makes it (Debian 13 with POCL 6.0, the OpenCL device ILGPU accepts; .ci/run does this)";
        }

        if (!string.Equals(userName, "root", StringComparison.Ordinal))
        {
            return $"the OpenCL root at {root} is there, but chroot and mount need root and these tests run as {userName}";
        }

        return null;
    }

    private static string? FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "scripts", "opencl-root.sh")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>A fact that runs inside the OpenCL root; skipped, with the reason, where the root is absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class OpenClRootFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the root cannot be used here.</summary>
    public OpenClRootFactAttribute()
    {
        if (OpenClRoot.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
