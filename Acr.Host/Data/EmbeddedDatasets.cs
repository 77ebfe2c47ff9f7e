namespace Acr.Host.Data;

/// <summary>Data sets shipped inside the host assembly.</summary>
public static class EmbeddedDatasets
{
    /// <summary>Resource name of UCI Letter Recognition (CC BY 4.0; attribution in NOTICE).</summary>
    public const string LetterResource = "Acr.Host.Resources.letter.csv.gz";

    /// <summary>Label column of the letter data.</summary>
    public const string LetterLabel = "lettr";

    /// <summary>Reads UCI Letter Recognition: 20000 rows, 16 integer features, label <c>lettr</c> (A–Z).</summary>
    public static TabularDataset Letter()
    {
        using var stream = OpenLetter();
        return CsvDatasetReader.ReadFromStream(stream, "embedded:letter.csv.gz", new CsvReadOptions { LabelColumn = LetterLabel });
    }

    /// <summary>Opens the embedded letter data: gzip-compressed CSV with a header; the caller disposes the stream.</summary>
    public static Stream OpenLetter() =>
        typeof(EmbeddedDatasets).Assembly.GetManifestResourceStream(LetterResource)
            ?? throw new InvalidOperationException($"The embedded resource '{LetterResource}' is missing from this build of Acr.Host.");
}
