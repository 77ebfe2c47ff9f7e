using Acr.Plugins;

namespace Acr.Host.Cli;

/// <summary>
/// 'acr plugins': every plugin found, its version and API version, what it registers, its folder, and why any
/// failed; for each op a plugin brings, how every backend runs it (a kernel, the reference on the host, or refused).
/// </summary>
internal sealed class PluginsCommand(CliContext context)
    : CliCommand(context, "plugins", "List every plugin found: version, plugin API, what it registers, folder; and for each that failed, the reason.")
{
    protected override int Run(ParseResult parse)
    {
        var catalog = Context.Catalog;
        var console = Context.Console;
        console.WriteLine($"plugin API {PluginApi.Version}; searched: {string.Join(", ", catalog.SearchedDirectories)}");
        if (catalog.Plugins.Count == 0)
        {
            console.WriteLine("No plugins found. Build the host (dotnet build) so plugins/ sits beside acr, or pass --plugins DIR.");
            return 0;
        }

        foreach (var p in catalog.Plugins)
        {
            var registers = string.Join(", ", p.Detectors.Select(d => $"detector {d}").Concat(p.Backends.Select(b => $"backend {b}")).Concat(p.Ops.Select(o => $"op {o}")));
            console.WriteLine();
            console.WriteLine($"{p.Name} {p.Version ?? "(version unknown)"}  plugin API {p.ApiVersion ?? "?"}  {(p.IsLoaded ? "loaded" : "FAILED")}");
            console.WriteLine($"  folder:    {p.Folder}");
            if (p.IsLoaded)
            {
                console.WriteLine($"  registers: {(registers.Length > 0 ? registers : "nothing")}");
                foreach (var op in catalog.Registry.PluginOps.Where(o => p.Ops.Contains(o.Name, StringComparer.Ordinal)))
                {
                    var support = catalog.Registry.Backends.Select(b => $"{b.Name}: {Describe(catalog.Registry.SupportOf(op, b))}");
                    console.WriteLine($"  op {op.Name}: {string.Join("; ", support)}");
                }
            }
            else
            {
                console.WriteLine($"  reason:    {p.Error}");
            }
        }

        return 0;
    }

    private static string Describe(KernelSupport support) => support switch
    {
        KernelSupport.Kernel => "kernel",
        KernelSupport.ReferenceOnHost => "reference on the host (correct, slow)",
        _ => "refused (no kernel; the backend does not run ops on the host)",
    };
}
