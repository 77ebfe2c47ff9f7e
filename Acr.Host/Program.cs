using Acr.Host.Cli;
using Acr.Host.Composition;
using Spectre.Console;

namespace Acr.Host;

internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var registry = new ComponentRegistry();
        BuiltInComponents.Register(registry);
        return new AcrCli(AnsiConsole.Console, Console.Error, registry).Run(args, cancel.Token);
    }
}
