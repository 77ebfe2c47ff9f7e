namespace Acr.Host.Cli;

/// <summary>'acr devices': every device each backend found, usable or not, and why.</summary>
internal sealed class DevicesCommand(CliContext context) : CliCommand(context, "devices", "List every device each backend found, usable or not, and why.")
{
    protected override int Run(ParseResult parse)
    {
        var registry = Context.Registry;
        var console = Context.Console;
        foreach (var provider in registry.Backends)
        {
            console.WriteLine($"{provider.Name}: {provider.Description} (from {registry.OwnerOf(provider.Name)})");
            if (provider.Devices.Count == 0)
            {
                console.WriteLine("  no device found");
            }

            foreach (var d in provider.Devices)
            {
                console.WriteLine($"  {d.Id}  {d.Name}  {(d.IsUsable ? "usable" : "NOT usable: " + d.Reason)}");
                if (d.Properties.Count > 0)
                {
                    console.WriteLine("    " + string.Join(", ", d.Properties.Select(kv => $"{kv.Key}={kv.Value}")));
                }
            }
        }

        if (registry.Backends.All(b => b.Name == ReferenceBackend.BackendName))
        {
            console.WriteLine("No backend plugin loaded (only the scalar reference); run 'acr plugins' to see why.");
            return 2;
        }

        return 0;
    }
}
