using Acr.Host.Data.Fetch;

namespace Acr.Host.Data;

/// <summary>
/// Tabular data sets that <c>--data</c> takes by name instead of a path: <c>letter</c> (embedded in acr) and the CSV
/// data sets <c>acr fetch</c> puts in the data cache (<c>digits</c>, <c>vehicle</c>). A file of that name in the working directory wins.
/// Image sets are named through <see cref="Arrays.IdxImageSet"/>.
/// </summary>
public static class NamedDatasets
{
    /// <summary>The name of the embedded UCI Letter Recognition data.</summary>
    public const string Letter = "letter";

    /// <summary>The label column of each named set, used when no --label is given.</summary>
    private static readonly Dictionary<string, string> Labels = new(StringComparer.OrdinalIgnoreCase)
    {
        [Letter] = EmbeddedDatasets.LetterLabel,
        ["digits"] = "-1",
        ["vehicle"] = "Class",
    };

    /// <summary>The names <c>--data</c> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = [Letter, .. DataManifest.All.Where(IsCsv).Select(d => d.Name)];

    /// <summary>
    /// Reads the data set named <paramref name="data"/>, if it is one and no such file exists; with the set's label
    /// column when <paramref name="options"/> names none.
    /// </summary>
    /// <param name="data">The --data value.</param>
    /// <param name="cacheDirectory">The data cache (see <see cref="DataCache"/>).</param>
    /// <param name="options">How to read it.</param>
    /// <param name="dataset">The data set, when <paramref name="data"/> names one.</param>
    /// <exception cref="AcrDataException">It names a fetchable set that is not in the cache.</exception>
    public static bool TryRead(string data, string cacheDirectory, CsvReadOptions options, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TabularDataset? dataset)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        dataset = null;
        if (File.Exists(data) || Directory.Exists(data))
        {
            return false;
        }

        var withLabel = options.LabelColumn is null && Labels.TryGetValue(data, out var label) ? options with { LabelColumn = label } : options;
        if (string.Equals(data, Letter, StringComparison.OrdinalIgnoreCase))
        {
            using var stream = EmbeddedDatasets.OpenLetter();
            dataset = CsvDatasetReader.ReadFromStream(stream, "letter (embedded)", withLabel);
            return true;
        }

        var source = DataManifest.All.FirstOrDefault(d => IsCsv(d) && string.Equals(d.Name, data, StringComparison.OrdinalIgnoreCase));
        if (source is null)
        {
            return false;
        }

        if (!DatasetFetcher.IsPresent(cacheDirectory, source))
        {
            throw new AcrDataException($"Data set '{source.Name}' is not in the data cache '{cacheDirectory}'. Run 'acr fetch {source.Name}' first");
        }

        dataset = CsvDatasetReader.Read(Path.Combine(DatasetFetcher.DatasetDirectory(cacheDirectory, source), source.Files[0].FileName), withLabel);
        return true;
    }

    private static bool IsCsv(DatasetSource source) =>
        source.Files.Count == 1 && (source.Files[0].FileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || source.Files[0].FileName.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase));
}
