namespace Acr.Host.Scoring.Streaming;

/// <summary>Opens the row source and makes the sink for a file's format (<see cref="DataFiles"/>).</summary>
internal static class ScoreSources
{
    /// <summary>Opens <paramref name="path"/> by its extension: Parquet, Arrow IPC (file or stream), else CSV.</summary>
    /// <param name="path">The data file.</param>
    /// <param name="options">Label, group, dropped columns (and, for CSV, header and delimiter).</param>
    public static IRowSource Open(string path, CsvReadOptions options) => DataFiles.InputFormat(path) switch
    {
        TableFormat.Parquet => ParquetRowSource.Open(path, options),
        TableFormat.ArrowFile => ArrowRowSource.Open(path, options, isFile: true),
        TableFormat.ArrowStream => ArrowRowSource.Open(path, options, isFile: false),
        _ => CsvRowSource.Open(path, options),
    };
}

/// <summary>Makes score sinks by format.</summary>
internal static class ScoreSinks
{
    /// <summary>A sink writing <paramref name="format"/> to <paramref name="output"/>.</summary>
    /// <param name="format">The output format.</param>
    /// <param name="output">The stream (not disposed).</param>
    /// <param name="labels">Whether rows have labels.</param>
    public static IScoreSink Create(TableFormat format, Stream output, bool labels) => format switch
    {
        TableFormat.Parquet => new ParquetScoreSink(output, labels),
        TableFormat.ArrowFile => new ArrowScoreSink(output, labels, file: true),
        TableFormat.ArrowStream => new ArrowScoreSink(output, labels, file: false),
        _ => new CsvScoreSink(output, labels),
    };
}
