using Acr.Host.Tests.Serving;

namespace Acr.Host.Tests.Streaming;

/// <summary>The stream commands refuse bad input up front with a message that names the problem and the fix, exit 2, and write nothing.</summary>
[Collection(ServeTestGroup.Name)]
public sealed class StreamCliTests(ServeModels models)
{
    public static TheoryData<string[], string> Cases => new()
    {
        { ["submit", "--stream", "a.b", "--data", "{data}"], "a stream name is 1–32 letters" },
        { ["submit", "--stream", "s", "--data", "{data}", "--batch-size", "1"], "--batch-size must be between 2 and 65536" },
        { ["submit", "--stream", "s", "--data", "{data}", "--batch-size", "1000000"], "--batch-size must be between 2 and 65536" },
        { ["submit", "--stream", "s", "--data", "{dir}/none.csv"], "file not found" },
        { ["submit", "--stream", "s", "--data", "{data}", "--run", "has space"], "a run id is 1–64 letters" },
        { ["submit", "--stream", "s", "--data", "{data}", "--nats", "http://x"], "is not a NATS URL" },
        { ["submit", "--stream", "s", "--data", "{data}", "--nats", "nats://127.0.0.1:1"], "Cannot reach the NATS server at nats://127.0.0.1:1" },
        { ["worker", "--stream", "s", "--model", "{dir}/none.safetensors"], "file not found. Train one" },
        { ["worker", "--stream", "s", "--model", "{model}", "--ack-wait", "0.1"], "--ack-wait must be between 1 and 600" },
        { ["worker", "--stream", "s", "--model", "{model}", "--max-in-flight", "100000"], "--max-in-flight must be between 1 and 1024" },
        { ["collect", "--stream", "s", "--run", "r", "--timeout", "0", "--out", "{dir}/scores.csv"], "--timeout must be between 0 and 86400" },
        { ["collect", "--stream", "s", "--run", "r", "--out", "{dir}/no/such/dir/scores.csv"], "does not exist" },
        { ["collect", "--stream", "s", "--run", "r", "--out", "{dir}/scores.csv", "--nats", "nats://127.0.0.1:1"], "Cannot reach the NATS server" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_is_refused_with_exit_2_and_nothing_written(string[] args, string expected)
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", "a,b\n1,2\n3,4\n");
        var resolved = args.Select(a => a.Replace("{data}", data, StringComparison.Ordinal).Replace("{model}", models.PathA, StringComparison.Ordinal)
            .Replace("{dir}", tmp.Path, StringComparison.Ordinal)).ToArray();
        var before = Directory.GetFileSystemEntries(tmp.Path).Order(StringComparer.Ordinal).ToArray();

        var result = CliHarness.Run(resolved);

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Error}{result.Output}");
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFileSystemEntries(tmp.Path).Order(StringComparer.Ordinal).ToArray());
    }
}
