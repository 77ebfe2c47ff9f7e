using Acr.Host.Cli;
using Spectre.Console;

namespace Acr.Cli;

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
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 160; // tables stay readable in logs and files
            AnsiConsole.Profile.Capabilities.Ansi = false;
        }

        return new AcrCli(AnsiConsole.Console, Console.Error).Run(args, cancel.Token);
    }
}
