namespace Acr.Host.Serving;

/// <summary>
/// A request the server refuses: an HTTP 4xx (or 503) status, a stable problem type and a detail that names the problem
/// and the fix. Written as <c>application/problem+json</c> (RFC 9457) by <see cref="ProblemWriter"/>.
/// </summary>
internal sealed class ServeProblem : Exception
{
    public ServeProblem(int status, string type, string title, string detail)
        : base(detail)
    {
        Status = status;
        Type = type;
        Title = title;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>Short kebab-case kind, e.g. <c>wrong-column-count</c>; the problem type URI is <c>urn:acr:problem:{Type}</c>.</summary>
    public string Type { get; }

    /// <summary>One line that is the same for every problem of this kind.</summary>
    public string Title { get; }

    public static ServeProblem BadBatch(string type, string title, string detail) => new(400, type, title, detail);
}
