using Acr.Host.Cli;
using Spectre.Console;

namespace Acr.Host.Tests;

/// <summary>Runs the acr command line in-process and captures its output and error streams.</summary>
internal static class CliHarness
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Ansi = AnsiSupport.No,
        });
        console.Profile.Width = 160;
        var code = new AcrCli(console, error).Run(args);
        return new Result(code, output.ToString(), error.ToString());
    }
}
