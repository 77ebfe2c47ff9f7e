using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Acr.Host.Tests.Streaming;

/// <summary>
/// A real <c>nats-server</c> (Debian's package; <c>.ci/run</c> installs it) with JetStream and file storage in a
/// temporary folder, on a free loopback port. <see cref="RestartAsync"/> stops it gracefully and starts it again on the
/// same port and store, as an operator's restart would.
/// </summary>
internal sealed class NatsServer : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private Process? _process;

    private NatsServer(int port) => Port = port;

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>The nats-server executable, or null when it is not installed.</summary>
    public static string? Executable { get; } = new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }
        .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "nats-server")))
        .FirstOrDefault(File.Exists);

    public static async Task<NatsServer> StartAsync()
    {
        var server = new NatsServer(FreePort());
        await server.LaunchAsync();
        return server;
    }

    public async Task RestartAsync(TimeSpan downtime)
    {
        await StopAsync();
        await Task.Delay(downtime);
        await LaunchAsync();
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) // graceful: JetStream flushes its store
            {
                await kill.WaitForExitAsync();
            }

            if (!_process.WaitForExit(15_000))
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _dir.Dispose();
    }

    private async Task LaunchAsync()
    {
        var exe = Executable ?? throw new InvalidOperationException("nats-server is not installed (apt-get install nats-server); .ci/run installs it.");
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-a", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-js", "-sd", _dir.File("store")])
        {
            start.ArgumentList.Add(a);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _process = new Process { StartInfo = start };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            log.Enqueue(e.Data);
            if (e.Data.Contains("Server is ready", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        _process.OutputDataReceived += onLine;
        _process.ErrorDataReceived += onLine;
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var done = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        if (done != ready.Task)
        {
            throw new InvalidOperationException($"nats-server did not become ready on port {Port}:\n{string.Join('\n', log)}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// A fact that needs <c>nats-server</c>. Where it is not installed the test is skipped with the reason, unless
/// <c>ACR_REQUIRE_NATS=1</c> (set by <c>.ci/run</c>), where it runs and fails loudly.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class NatsFactAttribute : FactAttribute
{
    public NatsFactAttribute()
    {
        if (NatsServer.Executable is null && Environment.GetEnvironmentVariable("ACR_REQUIRE_NATS") != "1")
        {
            Skip = "needs nats-server (apt-get install nats-server); CI sets ACR_REQUIRE_NATS=1 so it never skips there";
        }
    }
}
