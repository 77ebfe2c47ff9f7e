namespace Acr.Host.Cli;

/// <summary>
/// One <c>acr</c> command: the subclass holds its options as fields, adds them in its constructor in the order
/// <c>--help</c> lists them, and does its work in <see cref="Run"/>, the command's action.
/// </summary>
internal abstract class CliCommand : Command
{
    protected CliCommand(CliContext context, string name, string description)
        : base(name, description)
    {
        Context = context;
        SetAction(Run);
    }

    /// <summary>The console, error stream, plugins and cancellation the command runs with.</summary>
    protected CliContext Context { get; }

    /// <summary>Adds options, in help order (an <see cref="OptionSet"/> goes in spread: <c>Add([_out, .. _backend])</c>).</summary>
    protected void Add(params ReadOnlySpan<Option> options)
    {
        foreach (var option in options)
        {
            Options.Add(option);
        }
    }

    /// <summary>Runs the command on its parsed arguments; returns the exit code.</summary>
    protected abstract int Run(ParseResult parse);
}
