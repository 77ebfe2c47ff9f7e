using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Acr.Host.Serving;

/// <summary>Writes a <see cref="ServeProblem"/> as <c>application/problem+json</c> (RFC 9457), with <c>Retry-After</c> on 503.</summary>
internal static class ProblemWriter
{
    public const string MediaType = "application/problem+json";

    public static async Task WriteAsync(HttpContext context, ServeProblem problem, string? model)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            context.Abort(); // the status line is gone; cutting the connection is the only honest signal left
            return;
        }

        response.Clear();
        response.StatusCode = problem.Status;
        response.ContentType = MediaType;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = "1";
        }

        await using var json = new Utf8JsonWriter(response.Body, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("type", "urn:acr:problem:" + problem.Type);
        json.WriteString("title", problem.Title);
        json.WriteNumber("status", problem.Status);
        json.WriteString("detail", problem.Message);
        json.WriteString("instance", context.Request.Path.Value);
        if (model is not null)
        {
            json.WriteString("model", model);
        }

        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
