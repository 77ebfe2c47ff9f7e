using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Acr.Host.Serving;

/// <summary>The request body formats <c>POST /v1/models/{name}/score</c> reads.</summary>
internal enum BatchFormat
{
    Csv,
    Json,
    Arrow,
}

/// <summary>Content negotiation for the scoring endpoint: which format the body is in (415 otherwise), which the answer is wanted in (406 otherwise).</summary>
internal static class HttpFormats
{
    private const string Accepted = $"{BatchReaders.CsvMediaType}, {BatchReaders.JsonMediaType} or {BatchReaders.ArrowMediaType}";

    public static BatchFormat RequestFormat(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            throw Unsupported($"The request has no Content-Type; send the batch as {Accepted}.");
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            throw Unsupported($"Content-Type '{contentType}' cannot be parsed; send the batch as {Accepted}.");
        }

        var charset = media.Charset.HasValue ? media.Charset.Value : null;
        if (charset is not null && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            throw Unsupported($"Content-Type charset '{charset}' is not supported; send UTF-8 text.");
        }

        var type = media.MediaType.Value ?? "";
        if (type.Equals(BatchReaders.CsvMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return BatchFormat.Csv;
        }

        if (type.Equals(BatchReaders.JsonMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return BatchFormat.Json;
        }

        if (type.Equals(BatchReaders.ArrowMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return BatchFormat.Arrow;
        }

        throw Unsupported(type.Equals("application/vnd.apache.arrow.file", StringComparison.OrdinalIgnoreCase)
            ? $"The Arrow file format is not read; send the Arrow IPC stream format as {BatchReaders.ArrowMediaType}."
            : $"Content-Type '{type}' is not a batch format this server reads; send the batch as {Accepted}.");
    }

    /// <summary>True for a CSV answer (Accept prefers text/csv), false for JSON (no Accept, or JSON or a wildcard preferred).</summary>
    public static bool WantsCsv(HttpRequest request)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 0)
        {
            return false;
        }

        if (!MediaTypeHeaderValue.TryParseList(accept, out var list))
        {
            throw NotAcceptable($"The Accept header '{accept}' cannot be parsed; ask for application/json or text/csv.");
        }

        foreach (var media in list.Where(m => (m.Quality ?? 1) > 0).OrderByDescending(m => m.Quality ?? 1))
        {
            var type = media.MediaType.Value ?? "";
            if (type.Equals("text/csv", StringComparison.OrdinalIgnoreCase) || type.Equals("text/*", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Equals("application/*", StringComparison.OrdinalIgnoreCase) || type == "*/*")
            {
                return false;
            }
        }

        throw NotAcceptable($"The Accept header '{accept}' names no format this server writes; ask for application/json or text/csv.");
    }

    private static ServeProblem Unsupported(string detail) => new(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "The body's format is not supported.", detail);

    private static ServeProblem NotAcceptable(string detail) => new(StatusCodes.Status406NotAcceptable, "not-acceptable", "No acceptable response format.", detail);
}
