using System.CommandLine;
using Spectre.Console;

namespace Acr.Host.Cli;

/// <summary>'acr devices': every device each backend found, usable or not, and why.</summary>
internal static class DevicesCommand
{
    public static Command Create(CliContext c)
    {
        var cmd = new Command("devices", "List every device each backend found, usable or not, and why.");
        cmd.SetAction(_ =>
        {
            foreach (var provider in c.Registry.Backends)
            {
                c.Console.WriteLine($"{provider.Name}: {provider.Description} (from {c.Registry.OwnerOf(provider.Name)})");
                if (provider.Devices.Count == 0)
                {
                    c.Console.WriteLine("  no device found");
                }

                foreach (var d in provider.Devices)
                {
                    c.Console.WriteLine($"  {d.Id}  {d.Name}  {(d.IsUsable ? "usable" : "NOT usable: " + d.Reason)}");
                    if (d.Properties.Count > 0)
                    {
                        c.Console.WriteLine("    " + string.Join(", ", d.Properties.Select(kv => $"{kv.Key}={kv.Value}")));
                    }
                }
            }

            if (c.Registry.Backends.All(b => b.Name == Acr.Compute.ReferenceBackend.BackendName))
            {
                c.Console.WriteLine("No backend plugin loaded (only the scalar reference); run 'acr plugins' to see why.");
                return 2;
            }

            return 0;
        });
        return cmd;
    }
}
