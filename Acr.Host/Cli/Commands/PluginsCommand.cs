using Acr.Plugins;

namespace Acr.Host.Cli;

/// <summary>
/// 'acr plugins': every plugin found, its version and API version, what it registers, its folder, and why any
/// failed; for each op a plugin brings, how every backend runs it (a kernel, the reference on the host, or refused);
/// then it unloads them all and names any plugin whose load context stayed alive.
/// </summary>
internal sealed class PluginsCommand(CliContext context)
    : CliCommand(context, "plugins", "List every plugin found: version, plugin API, what it registers, folder; for each that failed, the reason; and any that does not unload.")
{
    protected override int Run(ParseResult parse)
    {
        if (!List(Context.Catalog, Context.Console))
        {
            return 0;
        }

        // Listing touched plugin objects (ops, backends) only inside List, so nothing here keeps them alive.
        var loaded = Context.Catalog.Plugins.Count(p => p.IsLoaded);
        var stuck = Context.Catalog.WaitForUnload();
        Context.Console.WriteLine();
        if (stuck.Count == 0)
        {
            Context.Console.WriteLine($"unloading: all {loaded} loaded plugin(s) unloaded.");
        }

        foreach (var name in stuck)
        {
            Context.Console.WriteLine($"unloading: plugin '{name}' did not unload: something outside it still references its types " +
                "(typically a static cache such as System.Text.Json's default options); its memory stays in use until the process ends. See docs/plugins.md, \"Unloading\".");
        }

        return 0;
    }

    /// <summary>Prints every plugin; false when there were none.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool List(Acr.Host.PluginLoading.PluginCatalog catalog, IAnsiConsole console)
    {
        console.WriteLine($"plugin API {PluginApi.Version}; searched: {string.Join(", ", catalog.SearchedDirectories)}");
        if (catalog.Plugins.Count == 0)
        {
            console.WriteLine("No plugins found. Build the host (dotnet build) so plugins/ sits beside acr, or pass --plugins DIR.");
            return false;
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

        return true;
    }

    private static string Describe(KernelSupport support) => support switch
    {
        KernelSupport.Kernel => "kernel",
        KernelSupport.ReferenceOnHost => "reference on the host (correct, slow)",
        _ => "refused (no kernel; the backend does not run ops on the host)",
    };
}
