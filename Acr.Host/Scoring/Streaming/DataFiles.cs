namespace Acr.Host.Scoring.Streaming;

/// <summary>The file formats <c>acr score</c> reads and writes, chosen by file extension.</summary>
internal enum TableFormat
{
    /// <summary>CSV text (<c>.csv</c>, <c>.csv.gz</c>, <c>.txt</c>, …).</summary>
    Csv,

    /// <summary>Apache Parquet (<c>.parquet</c>).</summary>
    Parquet,

    /// <summary>Arrow IPC file format (<c>.arrow</c>, <c>.feather</c>: Feather V2).</summary>
    ArrowFile,

    /// <summary>Arrow IPC streaming format (<c>.arrows</c>).</summary>
    ArrowStream,
}

/// <summary>Opening data files and telling their format.</summary>
internal static class DataFiles
{
    /// <summary>What the output extensions may be, for messages.</summary>
    public const string OutputFormats = ".csv (or .txt), .parquet, .arrow or .feather (Arrow IPC file), .arrows (Arrow IPC stream), or - for CSV on standard output";

    /// <summary>The format of an input file by its extension: Parquet and Arrow by theirs, anything else is CSV (gzip or not).</summary>
    /// <param name="path">The file.</param>
    public static TableFormat InputFormat(string path) => Known(path) ?? TableFormat.Csv;

    /// <summary>The format of an output file by its extension.</summary>
    /// <param name="path">The file (or <c>-</c> for standard output: CSV).</param>
    /// <exception cref="AcrUsageException">The extension is not one <c>score</c> writes.</exception>
    public static TableFormat OutputFormat(string path)
    {
        if (path == "-" || path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            return TableFormat.Csv;
        }

        return Known(path) ?? throw new AcrUsageException(
            $"--out '{path}': unknown output format '{Path.GetExtension(path)}'; the extension chooses it: {OutputFormats}.");
    }

    /// <summary>Opens a data file for reading, with the messages of the CSV reader for a missing file or a folder.</summary>
    /// <param name="path">The file.</param>
    public static FileStream OpenRead(string path)
    {
        if (Directory.Exists(path))
        {
            throw new AcrDataException($"Data path '{path}' is a directory; pass a data file (.csv, .csv.gz, .parquet, .arrow, .arrows or .feather)");
        }

        if (!File.Exists(path))
        {
            throw new AcrDataException($"Data file '{path}' not found (working directory: '{Environment.CurrentDirectory}'); check the path");
        }

        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AcrDataException($"Data file '{path}' cannot be opened: {ex.Message} (check its permissions)", ex);
        }
    }

    private static TableFormat? Known(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".PARQUET" => TableFormat.Parquet,
        ".ARROW" or ".FEATHER" => TableFormat.ArrowFile,
        ".ARROWS" => TableFormat.ArrowStream,
        _ => null,
    };
}
