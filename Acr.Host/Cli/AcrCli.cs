using Acr.Host.Models;
using Acr.Host.PluginLoading;

namespace Acr.Host.Cli;

/// <summary>
/// The <c>acr</c> command line. Exit codes: 0 success; 2 a problem with the input (arguments, data,
/// model file, output path) reported as one message naming the problem and the fix; 1 an internal
/// error; 130 cancelled.
/// </summary>
public sealed class AcrCli
{
    /// <summary>Exit code for success.</summary>
    public const int Success = 0;

    /// <summary>Exit code for an internal error.</summary>
    public const int InternalError = 1;

    /// <summary>Exit code for a problem with the input.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code after cancellation.</summary>
    public const int Cancelled = 130;

    private readonly IAnsiConsole _console;
    private readonly TextWriter _error;
    private readonly Func<IReadOnlyList<string>, PluginCatalog> _loadPlugins;

    /// <summary>Creates the command line over a console and an error stream.</summary>
    /// <param name="console">Where normal output goes.</param>
    /// <param name="error">Where error messages go.</param>
    /// <param name="loadPlugins">
    /// Loads the plugins given the extra directories from <c>--plugins</c>; by default
    /// <see cref="PluginCatalog.Load"/> over <see cref="PluginCatalog.SearchPath"/>.
    /// </param>
    public AcrCli(IAnsiConsole console, TextWriter error, Func<IReadOnlyList<string>, PluginCatalog>? loadPlugins = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(error);
        _console = console;
        _error = error;
        _loadPlugins = loadPlugins ?? (extra => PluginCatalog.Load(PluginCatalog.SearchPath(extra)));
    }

    /// <summary>Opens the byte stream that <c>--out -</c> writes to: standard output unless replaced (tests).</summary>
    public Func<Stream> StandardOutput { get; init; } = Console.OpenStandardOutput;

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="cancellationToken">Cancels long work (Ctrl+C).</param>
    public int Run(string[] args, CancellationToken cancellationToken = default)
    {
        var context = new CliContext(_console, _error, cancellationToken) { OpenStandardOutput = StandardOutput };
        var pluginDirs = new Option<string[]>("--plugins")
        {
            Description = $"Also load plugins from this folder (repeatable); see also {PluginCatalog.PathVariable}.",
            Recursive = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var root = new RootCommand("acr — zero-shot anomaly detection by batch normalization (ACR). Meta-train a detector on related distributions; score new ones zero-shot.")
        {
            pluginDirs,
            new PluginsCommand(context),
            new DemoCommand(context),
            new TrainCommand(context),
            new ScoreCommand(context),
            new ServeCommand(context),
            new SubmitCommand(context),
            new WorkerCommand(context),
            new CollectCommand(context),
            new EvaluateCommand(context),
            new DevicesCommand(context),
            new BenchCommand(context),
            new SelftestCommand(context),
            new FetchCommand(context),
        };
        NumericOptionParsers.Apply(root);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var line in ParseErrorReport.Lines(parse, args))
            {
                _error.WriteLine($"error: {line}");
            }

            _error.WriteLine("Run 'acr --help' or 'acr <command> --help' for usage.");
            return UsageError;
        }

        if (parse.Action is null || parse.CommandResult.Command == root)
        {
            return parse.Invoke(new InvocationConfiguration { Output = _console.Profile.Out.Writer, Error = _error });
        }

        try
        {
            context.Catalog = _loadPlugins(parse.GetValue(pluginDirs) ?? []);
            if (parse.CommandResult.Command is not PluginsCommand)
            {
                foreach (var failure in context.Catalog.Failures)
                {
                    _error.WriteLine($"warning: plugin '{failure.Name}' ({failure.Folder}) was not loaded: {failure.Error}");
                }
            }

            return parse.Invoke(new InvocationConfiguration { Output = _console.Profile.Out.Writer, Error = _error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is AcrUsageException or AcrDataException or ModelFormatException or IOException)
        {
            _error.WriteLine($"error: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (IsOutOfMemory(e))
        {
            _error.WriteLine(
                "error: out of memory. Lower what the run holds at once: --batch-size (score), --tasks or --task-size (train, evaluate), " +
                "--seeds or --contamination levels (evaluate), or use a smaller --data file; or run on a machine with more memory.");
            return UsageError;
        }
        catch (OperationCanceledException)
        {
            _error.WriteLine("cancelled.");
            return Cancelled;
        }
        catch (Exception e)
        {
            _error.WriteLine($"internal error: {e.GetType().Name}: {e.Message}");
            _error.WriteLine(e.StackTrace);
            return InternalError;
        }
        finally
        {
            context.CatalogOrNull?.Unload();
        }
    }

    /// <summary>Out of memory, also when a worker thread ran out and its exception arrives wrapped.</summary>
    internal static bool IsOutOfMemory(Exception e) => e switch
    {
        OutOfMemoryException => true,
        AggregateException a => a.Flatten().InnerExceptions.Count > 0 && a.Flatten().InnerExceptions.All(IsOutOfMemory),
        System.Reflection.TargetInvocationException { InnerException: { } inner } => IsOutOfMemory(inner),
        TypeInitializationException { InnerException: { } inner } => IsOutOfMemory(inner),
        _ => false,
    };
}
