using Acr.Host.Composition;
using Acr.Host.PluginLoading;

namespace Acr.Host.Cli;

/// <summary>What every command needs: the console, the error stream, the registry and the cancellation token.</summary>
internal sealed class CliContext(IAnsiConsole console, TextWriter error, CancellationToken cancellation)
{
    private PluginCatalog? _catalog;

    public IAnsiConsole Console { get; } = console;

    public TextWriter Error { get; } = error;

    /// <summary>The loaded plugins; set once the command line is parsed (it may add plugin folders).</summary>
    public PluginCatalog Catalog
    {
        get => _catalog ?? throw new InvalidOperationException("Plugins are loaded after parsing; no command runs before that.");
        set => _catalog = value;
    }

    public PluginCatalog? CatalogOrNull => _catalog;

    public ComponentRegistry Registry => Catalog.Registry;

    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Opens standard output as a byte stream (<c>--out -</c>); tests replace it.</summary>
    public Func<Stream> OpenStandardOutput { get; init; } = System.Console.OpenStandardOutput;

    public ComputeBackend CreateBackend(ParseResult parse, Option<string> backend, Option<int?> device, Option<int?> threads)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parse.GetValue(threads) is { } t)
        {
            options["threads"] = t.ToString(CultureInfo.InvariantCulture);
        }

        return Registry.CreateBackend(parse.GetValue(backend)!, parse.GetValue(device), options);
    }

    /// <summary>Writes one warning line to the error stream.</summary>
    public void Warn(string message) => Error.WriteLine($"warning: {message}.");
}
