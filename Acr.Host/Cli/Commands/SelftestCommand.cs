using System.Diagnostics;

namespace Acr.Host.Cli;

/// <summary>
/// 'acr selftest': checks a backend's kernels against the scalar reference on every op's conformance samples — the
/// contract's ops and every plugin's — on this machine, with this driver. Exit code 1 when any op disagrees.
/// </summary>
internal sealed class SelftestCommand : CliCommand
{
    private readonly Option<string[]> _only = new("--op") { Description = "Check only this op (repeatable; default: every op).", AllowMultipleArgumentsPerToken = false };
    private readonly BackendOptionSet _backend = new();

    public SelftestCommand(CliContext context)
        : base(context, "selftest", "Check a backend against the scalar reference on every op's samples (the contract's ops and the plugins'); exit code 1 on any mismatch.")
    {
        Add([_only, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var ops = ComputeOp.Discover(typeof(ComputeOp).Assembly).Concat(Context.Registry.PluginOps).ToList();
        var wanted = CliOptions.SplitList(parse.GetValue(_only));
        var unknown = wanted.Where(w => !ops.Any(o => string.Equals(o.Name, w, StringComparison.OrdinalIgnoreCase))).ToArray();
        if (unknown.Length > 0)
        {
            throw new AcrUsageException($"--op: no op named {string.Join(", ", unknown)}. Ops: {string.Join(", ", ops.Select(o => o.Name))}.");
        }

        if (wanted.Length > 0)
        {
            ops = ops.Where(o => wanted.Contains(o.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        }

        using var b = _backend.Create(Context, parse);
        var console = Context.Console;
        console.WriteLine($"selftest of {b} against the scalar reference: {ops.Count} ops");
        var failed = 0;
        foreach (var op in ops)
        {
            Context.Cancellation.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var support = b.Support(op);
            if (support == KernelSupport.Unsupported)
            {
                console.WriteLine($"  {op.Name,-34} refused (no kernel; the backend does not run ops on the host)");
                continue;
            }

            var report = op.CheckConformance(b);
            var how = support == KernelSupport.Kernel ? "kernel" : "reference on the host";
            var seconds = clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
            console.WriteLine($"  {op.Name,-34} {(report.Passed ? "ok" : "FAILED"),-6} {report.Samples,5} samples  {how}  {seconds} s");
            if (!report.Passed)
            {
                failed++;
                foreach (var failure in report.Failures)
                {
                    console.WriteLine($"      {failure}");
                }
            }
        }

        console.WriteLine(failed == 0 ? "all ops agree with the reference" : $"{failed} op(s) disagree with the reference");
        return failed == 0 ? 0 : AcrCli.InternalError;
    }
}
