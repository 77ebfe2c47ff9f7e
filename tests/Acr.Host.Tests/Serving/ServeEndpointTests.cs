using System.Net;
using System.Text.Json;
using Acr.Host.Serving;
using Apache.Arrow;

namespace Acr.Host.Tests.Serving;

/// <summary>The three body formats give the same scores; several models at once; health, readiness, model info and metrics.</summary>
[Collection(ServeTestGroup.Name)]
public sealed class ServeEndpointTests(ServeModels models)
{
    [Fact]
    public async Task Csv_json_and_arrow_bodies_in_any_column_order_give_the_same_scores_as_scoring_alone()
    {
        await using var server = await models.Start(ServeModels.Options(new ServedModelSource("a", models.PathA)));
        using var client = ServeModels.Client(server.Addresses[0]);
        var rows = models.Rows(17, 25);
        var expected = models.Alone(models.ModelA, rows);
        var names = models.Features;

        // The columns reversed, named: the server puts them back in the model's order.
        var reversed = new float[rows.Length];
        for (var r = 0; r < 25; r++)
        {
            for (var j = 0; j < 6; j++)
            {
                reversed[(r * 6) + j] = rows[(r * 6) + 5 - j];
            }
        }

        var reversedNames = names.Reverse().ToArray();
        Assert.Equal(expected, await ServeModels.Scores(await client.PostAsync("/v1/models/a/score", ServeModels.CsvContent(ServeModels.Csv(rows, 6)))));
        Assert.Equal(expected, await ServeModels.Scores(await client.PostAsync("/v1/models/a/score", ServeModels.CsvContent(ServeModels.Csv(reversed, 6, reversedNames)))));

        var jsonRows = string.Join(",", Enumerable.Range(0, 25).Select(r => "[" + string.Join(",", Enumerable.Range(0, 6).Select(j => reversed[(r * 6) + j].ToString("R", CultureInfo.InvariantCulture))) + "]"));
        var json = $"{{\"columns\":[{string.Join(",", reversedNames.Select(n => $"\"{n}\""))}],\"rows\":[{jsonRows}]}}";
        Assert.Equal(expected, await ServeModels.Scores(await client.PostAsync("/v1/models/a/score", new StringContent(json, Encoding.UTF8, "application/json"))));

        // Arrow: float32 and float64 columns mixed, reversed order, in two record batches.
        var columns = Enumerable.Range(0, 6).Select(j => (IArrowArray)(j % 2 == 0
            ? new FloatArray.Builder().AppendRange(Enumerable.Range(0, 25).Select(r => reversed[(r * 6) + j])).Build()
            : new DoubleArray.Builder().AppendRange(Enumerable.Range(0, 25).Select(r => (double)reversed[(r * 6) + j])).Build())).ToArray();
        Assert.Equal(expected, await ServeModels.Scores(await client.PostAsync("/v1/models/a/score", ServeBadInputTests.Arrow(reversedNames, columns))));

        // A CSV answer when asked for: row, score, in request order.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/a/score") { Content = ServeModels.CsvContent(ServeModels.Csv(rows, 6)) };
        request.Headers.Accept.Add(ServeModels.Accept("text/csv"));
        using var csvAnswer = await client.SendAsync(request);
        Assert.Equal("text/csv", csvAnswer.Content.Headers.ContentType?.MediaType);
        var lines = (await csvAnswer.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal("row,score", lines[0]);
        Assert.Equal(expected, lines.Skip(1).Select(l => float.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => i.ToString(CultureInfo.InvariantCulture)), lines.Skip(1).Select(l => l.Split(',')[0]));
    }

    [Fact]
    public async Task Several_models_are_served_at_once_each_with_its_own_scores_and_info()
    {
        await using var server = await models.Start(ServeModels.Options(new ServedModelSource("a", models.PathA), new ServedModelSource("b", models.PathB)));
        using var client = ServeModels.Client(server.Addresses[0]);
        var rows = models.Rows(3, 12);
        var csv = ServeModels.Csv(rows, 6);
        var a = client.PostAsync("/v1/models/a/score", ServeModels.CsvContent(csv));
        var b = client.PostAsync("/v1/models/b/score", ServeModels.CsvContent(csv));
        var fromA = await ServeModels.Scores(await a);
        var fromB = await ServeModels.Scores(await b);
        Assert.Equal(models.Alone(models.ModelA, rows), fromA);
        Assert.Equal(models.Alone(models.ModelB, rows), fromB);
        Assert.NotEqual(fromA, fromB);

        using var list = JsonDocument.Parse(await client.GetStringAsync("/v1/models"));
        Assert.Equal(["a", "b"], list.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));

        using var info = JsonDocument.Parse(await client.GetStringAsync("/v1/models/b"));
        var root = info.RootElement;
        Assert.Equal("deep-svdd", root.GetProperty("detector").GetString());
        Assert.Equal(models.Features, root.GetProperty("features").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(6, root.GetProperty("featureCount").GetInt32());
        Assert.Equal(32, root.GetProperty("training").GetProperty("taskSize").GetInt32());
        Assert.Equal(4, root.GetProperty("training").GetProperty("tasks").GetInt32());
        Assert.Equal(ModelVersion.Hash(models.PathB), root.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Health_readiness_and_metrics_answer_and_the_metrics_count_requests_and_passes()
    {
        await using var server = await models.Start(ServeModels.Options(new ServedModelSource("metered", models.PathA)) with { BatchWindow = TimeSpan.FromMilliseconds(300) });
        using var client = ServeModels.Client(server.Addresses[0]);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        using (var ready = JsonDocument.Parse(await client.GetStringAsync("/readyz")))
        {
            Assert.Equal("ready", ready.RootElement.GetProperty("status").GetString());
        }

        var sent = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => client.PostAsync("/v1/models/metered/score", ServeModels.CsvContent(ServeModels.Csv(models.Rows(i * 10, 10), 6)))));
        Assert.All(sent, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await client.PostAsync("/v1/models/metered/score", ServeModels.CsvContent("1,2\n3,4\n"));

        // A request's metrics are recorded as its handler ends, just after the answer left: poll until they are in.
        var metrics = await client.GetStringAsync("/metrics");
        for (var wait = 0; wait < 50 && !metrics.Contains("status=\"400\"", StringComparison.Ordinal); wait++)
        {
            await Task.Delay(100);
            metrics = await client.GetStringAsync("/metrics");
        }

        Assert.Equal(3, Value(metrics, "acr_serve_requests_total", "model=\"metered\"", "status=\"200\""));
        Assert.Equal(1, Value(metrics, "acr_serve_requests_total", "model=\"metered\"", "status=\"400\""));
        Assert.Equal(4, Value(metrics, "acr_serve_request_duration_seconds_count", "model=\"metered\"", ""));
        var passes = Value(metrics, "acr_serve_pass_segments_count", "model=\"metered\"", "");
        Assert.Equal(server.Workers["metered"].Passes, (long)passes);
        Assert.Equal(3, Value(metrics, "acr_serve_pass_segments_sum", "model=\"metered\"", ""));
        Assert.Equal(30, Value(metrics, "acr_serve_pass_rows_sum", "model=\"metered\"", ""));
        Assert.Contains("acr_serve_queue_wait_seconds_bucket", metrics, StringComparison.Ordinal);
    }

    /// <summary>The value of the Prometheus sample <paramref name="metric"/> whose labels contain both fragments (summed over the matches).</summary>
    private static double Value(string exposition, string metric, string label1, string label2)
    {
        var matches = exposition.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(label1, StringComparison.Ordinal) && l.Contains(label2, StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).ToArray();
        Assert.True(matches.Length > 0, $"no {metric} with {label1} {label2} in:\n{exposition}");
        return matches.Sum();
    }
}
