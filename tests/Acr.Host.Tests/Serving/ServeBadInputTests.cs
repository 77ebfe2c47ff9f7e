using System.Net;
using System.Net.Http.Headers;
using Acr.Host.Serving;
using Apache.Arrow;
using Apache.Arrow.Ipc;

namespace Acr.Host.Tests.Serving;

/// <summary>Every kind of bad request gets an application/problem+json 4xx naming the problem; none gets a 500.</summary>
[Collection(ServeTestGroup.Name)]
public sealed class ServeBadInputTests(ServeModels models) : IAsyncLifetime
{
    private AcrServer? _server;
    private HttpClient? _client;

    private HttpClient Client => _client!;

    public async Task InitializeAsync()
    {
        _server = await models.Start(ServeModels.Options(new ServedModelSource("a", models.PathA)) with { MaxRequestBytes = 4096, MaxRequestRows = 100, BatchWindow = TimeSpan.Zero });
        _client = ServeModels.Client(_server.Addresses[0]);
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public static TheoryData<string, string, string, int, string, string> Cases => new()
    {
        // name, content type, body, status, problem type, a phrase the detail must contain
        { "csv with too few columns", "text/csv", "1,2,3\n4,5,6\n", 400, "wrong-column-count", "3 columns" },
        { "csv with a short row", "text/csv", "1,2,3,4,5,6\n1,2,3\n", 400, "wrong-column-count", "line 2 has 3 fields" },
        { "csv with a word", "text/csv", "1,2,3,4,5,6\n1,2,x,4,5,6\n", 400, "not-a-number", "'x' is not a number" },
        { "csv with NaN", "text/csv", "1,2,3,4,5,6\n1,2,NaN,4,5,6\n", 400, "non-finite-value", "line 2, column 2" },
        { "csv header only", "text/csv", "f0,f1,f2,f3,f4,f5\n", 400, "empty-batch", "no rows" },
        { "csv with unknown columns", "text/csv", "f0,f1,f2,f3,f4,zz\n1,2,3,4,5,6\n1,2,3,4,5,6\n", 400, "wrong-columns", "missing f5; unexpected zz" },
        { "csv with an open quote", "text/csv", "1,2,3,4,5,\"6\n", 400, "malformed-csv", "" },
        { "one row in batch mode", "text/csv", "1,2,3,4,5,6\n", 400, "too-few-rows", "?mode=running" },
        { "empty body", "text/csv", "", 400, "empty-batch", "empty" },
        { "json with a string", "application/json", "{\"rows\":[[1,2,3,4,5,6],[1,2,\"3\",4,5,6]]}", 400, "not-a-number", "Row 1, value 2" },
        { "json with ragged rows", "application/json", "{\"rows\":[[1,2,3,4,5,6],[1,2]]}", 400, "wrong-column-count", "Row 1 has 2 values" },
        { "json with wrong width", "application/json", "[[1,2],[3,4]]", 400, "wrong-column-count", "2 columns" },
        { "json with a huge number", "application/json", "[[1,2,3,4,5,1e39],[1,2,3,4,5,6]]", 400, "non-finite-value", "1e39" },
        { "json malformed", "application/json", "{\"rows\":[[1,2,3,4,5,6],", 400, "malformed-json", "" },
        { "json without rows", "application/json", "{\"data\":[[1,2,3,4,5,6]]}", 400, "wrong-shape", "Unknown property \"data\"" },
        { "json with no rows", "application/json", "{\"rows\":[]}", 400, "empty-batch", "empty" },
        { "json a number", "application/json", "42", 400, "wrong-shape", "Number" },
        { "json with trailing text", "application/json", "[[1,2,3,4,5,6],[1,2,3,4,5,6]] x", 400, "malformed-json", "" },
        { "arrow garbage", BatchReaders.ArrowMediaType, "this is not arrow", 400, "malformed-arrow", "stream" },
        { "plain text", "text/plain", "1,2,3,4,5,6\n1,2,3,4,5,6\n", 415, "unsupported-media-type", "text/plain" },
        { "arrow file format", "application/vnd.apache.arrow.file", "x", 415, "unsupported-media-type", "stream format" },
        { "latin-1 csv", "text/csv; charset=iso-8859-1", "1,2,3,4,5,6\n1,2,3,4,5,6\n", 415, "unsupported-media-type", "UTF-8" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_batches_are_refused_with_a_problem_naming_it(string name, string contentType, string body, int status, string type, string phrase)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await Client.PostAsync("/v1/models/a/score", content);
        await AssertProblem(response, status, type, phrase, name);
    }

    [Fact]
    public async Task No_content_type_is_415()
    {
        var content = new ByteArrayContent("1,2,3,4,5,6\n1,2,3,4,5,6\n"u8.ToArray());
        using var response = await Client.PostAsync("/v1/models/a/score", content);
        await AssertProblem(response, 415, "unsupported-media-type", "no Content-Type", "no content type");
    }

    [Fact]
    public async Task Unknown_model_is_404_and_lists_the_models()
    {
        using var response = await Client.PostAsync("/v1/models/nope/score", ServeModels.CsvContent("1,2,3,4,5,6\n1,2,3,4,5,6\n"));
        await AssertProblem(response, 404, "unknown-model", "'a'", "unknown model");
        using var info = await Client.GetAsync("/v1/models/nope");
        await AssertProblem(info, 404, "unknown-model", "'nope'", "unknown model info");
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413_whether_or_not_its_length_is_declared()
    {
        var big = ServeModels.Csv(models.Rows(0, 90), 6); // > 4096 bytes, < 100 rows
        Assert.True(Encoding.UTF8.GetByteCount(big) > 4096);
        await AssertProblem(await Send(() => new HttpRequestMessage(HttpMethod.Post, "/v1/models/a/score") { Content = ServeModels.CsvContent(big) }), 413, "request-too-large", "4096", "declared length");
        await AssertProblem(await Send(() =>
        {
            var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
            chunked.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/a/score") { Content = chunked };
            request.Headers.TransferEncodingChunked = true;
            return request;
        }), 413, "request-too-large", "4096", "chunked");

        // The server reads an oversized body to its end (up to 1 MiB past the limit) before it answers, so the client
        // gets a clean 413 and the connection stays usable.
        async Task<HttpResponseMessage> Send(Func<HttpRequestMessage> make)
        {
            using var request = make();
            return await Client.SendAsync(request);
        }
    }

    [Fact]
    public async Task More_rows_than_the_row_limit_is_413()
    {
        var json = "[" + string.Join(",", Enumerable.Repeat("[1,2,3,4,5,6]", 101)) + "]";
        Assert.True(json.Length < 4096);
        using var response = await Client.PostAsync("/v1/models/a/score", new StringContent(json, Encoding.UTF8, "application/json"));
        await AssertProblem(response, 413, "too-many-rows", "100", "too many rows");
    }

    [Fact]
    public async Task A_bad_mode_is_400_and_an_unwritable_accept_is_406()
    {
        var csv = ServeModels.Csv(models.Rows(0, 4), 6);
        using var mode = await Client.PostAsync("/v1/models/a/score?mode=fast", ServeModels.CsvContent(csv));
        await AssertProblem(mode, 400, "bad-mode", "running", "bad mode");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/a/score") { Content = ServeModels.CsvContent(csv) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
        using var accept = await Client.SendAsync(request);
        await AssertProblem(accept, 406, "not-acceptable", "text/csv", "accept");
    }

    [Fact]
    public async Task Arrow_with_a_string_column_or_a_null_is_400()
    {
        // Fresh arrays per body: writing a record batch disposes its arrays.
        static List<IArrowArray> Numeric() => Enumerable.Range(0, 5).Select(j => (IArrowArray)new DoubleArray.Builder().Append(1).Append(2).Build()).ToList();
        var strings = new StringArray.Builder().Append("x").Append("y").Build();
        var names = models.Features;
        using (var response = await Client.PostAsync("/v1/models/a/score", Arrow([.. names], [.. Numeric(), strings])))
        {
            await AssertProblem(response, 400, "not-a-number", $"'{names[5]}' has type", "string column");
        }

        var withNull = new DoubleArray.Builder().Append(1).AppendNull().Build();
        using (var response = await Client.PostAsync("/v1/models/a/score", Arrow([.. names], [.. Numeric(), withNull])))
        {
            await AssertProblem(response, 400, "missing-value", "null", "null value");
        }
    }

    [Fact]
    public async Task After_every_bad_request_the_server_still_scores()
    {
        using var bad = await Client.PostAsync("/v1/models/a/score", new StringContent("{", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var rows = models.Rows(0, 10);
        Assert.Equal(models.Alone(models.ModelA, rows), await ServeModels.Scores(await Client.PostAsync("/v1/models/a/score", ServeModels.CsvContent(ServeModels.Csv(rows, 6)))));
    }

    internal static ByteArrayContent Arrow(string[] names, IArrowArray[] columns)
    {
        var schema = new Schema(names.Select((n, i) => new Field(n, columns[i].Data.DataType, nullable: true)), null);
        using var batch = new RecordBatch(schema, columns, columns[0].Length);
        var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, schema, leaveOpen: true))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }

        var content = new ByteArrayContent(stream.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(BatchReaders.ArrowMediaType);
        return content;
    }

    private static async Task AssertProblem(HttpResponseMessage response, int status, string type, string phrase, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{what}: status {(int)response.StatusCode}, expected {status}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = System.Text.Json.JsonDocument.Parse(text);
        Assert.Equal("urn:acr:problem:" + type, json.RootElement.GetProperty("type").GetString());
        Assert.Equal(status, json.RootElement.GetProperty("status").GetInt32());
        var detail = json.RootElement.GetProperty("detail").GetString()!;
        Assert.True(detail.Contains(phrase, StringComparison.Ordinal), $"{what}: detail '{detail}' does not mention '{phrase}'");
    }
}
