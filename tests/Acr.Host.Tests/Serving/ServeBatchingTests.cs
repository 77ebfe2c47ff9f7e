using Acr.Host.Serving;
using Acr.Nn;

namespace Acr.Host.Tests.Serving;

/// <summary>
/// Dynamic segment batching: requests that arrive together share one forward pass, each its own batch-norm segment,
/// and each gets exactly (bit for bit) the scores of its batch scored alone.
/// </summary>
[Collection(ServeTestGroup.Name)]
public sealed class ServeBatchingTests(ServeModels models)
{
    // Batch lengths chosen so segments differ in size and none is a multiple of a vector width.
    private static readonly int[] Lengths = [2, 3, 7, 16, 31, 64, 100, 257];

    [Fact]
    public async Task Concurrent_requests_share_a_pass_and_each_gets_the_scores_it_gets_alone()
    {
        // A long window makes the merge certain; the requests are all sent before the first one's window ends.
        await using var server = await models.Start(ServeModels.Options(new ServedModelSource("a", models.PathA)) with { BatchWindow = TimeSpan.FromMilliseconds(400) });
        using var client = ServeModels.Client(server.Addresses[0]);
        var batches = Lengths.Select((n, i) => models.Rows(first: i * 37, count: n)).ToArray();

        var responses = await Task.WhenAll(batches.Select(b => client.PostAsync("/v1/models/a/score", ServeModels.CsvContent(ServeModels.Csv(b, 6)))));

        var segments = responses.Select(r => int.Parse(r.Headers.GetValues("Acr-Pass-Segments").Single(), CultureInfo.InvariantCulture)).ToArray();
        Assert.True(segments.Max() > 1, $"no two requests shared a pass (segments per pass seen: {string.Join(",", segments)})");
        Assert.True(server.Workers["a"].Passes < Lengths.Length, $"{server.Workers["a"].Passes} passes for {Lengths.Length} requests");
        for (var i = 0; i < batches.Length; i++)
        {
            var served = await ServeModels.Scores(responses[i]);
            var alone = models.Alone(models.ModelA, batches[i]);
            Assert.Equal(alone.Length, served.Length);
            for (var r = 0; r < alone.Length; r++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(alone[r]) == BitConverter.SingleToInt32Bits(served[r]),
                    $"batch {i} ({Lengths[i]} rows, pass of {segments[i]} segments), row {r}: served {served[r]:R}, alone {alone[r]:R}");
            }
        }
    }

    [Fact]
    public void Merging_the_batches_into_one_segment_would_change_the_scores()
    {
        // The reason segments matter: the same rows centred by the statistics of the union score differently.
        var a = models.Rows(0, 40);
        var b = models.Rows(100, 40);
        var union = models.Alone(models.ModelA, [.. a, .. b]);
        var alone = models.Alone(models.ModelA, a);
        var largest = alone.Select((s, r) => Math.Abs(s - union[r]) / Math.Max(1e-6f, Math.Abs(s))).Max();
        Assert.True(largest > 1e-3, $"scores of a batch barely depend on its statistics here (largest relative change {largest}); the test data cannot tell segments apart");
    }

    [Fact]
    public async Task Running_mode_requests_are_scored_with_the_training_statistics_and_may_have_one_row()
    {
        await using var server = await models.Start(ServeModels.Options(new ServedModelSource("a", models.PathA)) with { BatchWindow = TimeSpan.FromMilliseconds(200) });
        using var client = ServeModels.Client(server.Addresses[0]);
        var batches = new[] { models.Rows(5, 1), models.Rows(50, 9), models.Rows(200, 30) };

        var responses = await Task.WhenAll(batches.Select(b => client.PostAsync("/v1/models/a/score?mode=running", ServeModels.CsvContent(ServeModels.Csv(b, 6)))));

        for (var i = 0; i < batches.Length; i++)
        {
            Assert.Equal(models.Alone(models.ModelA, batches[i], BatchNormMode.Running), await ServeModels.Scores(responses[i]));
        }

        // Running statistics do not depend on the batch: a row scores the same alone or with others.
        var single = await ServeModels.Scores(await client.PostAsync("/v1/models/a/score?mode=running", ServeModels.CsvContent(ServeModels.Csv(models.Rows(50, 1), 6))));
        Assert.Equal((await ServeModels.Scores(responses[1]))[0], single[0]);
    }

    [Fact]
    public async Task With_batching_off_every_request_has_its_own_pass_and_the_same_scores()
    {
        await using var server = await models.Start(ServeModels.Options(new ServedModelSource("a", models.PathA)) with { BatchWindow = TimeSpan.Zero, MaxRequestsPerPass = 1 });
        using var client = ServeModels.Client(server.Addresses[0]);
        var batches = Lengths.Select((n, i) => models.Rows(first: i * 11, count: n)).ToArray();

        var responses = await Task.WhenAll(batches.Select(b => client.PostAsync("/v1/models/a/score", ServeModels.CsvContent(ServeModels.Csv(b, 6)))));

        Assert.All(responses, r => Assert.Equal("1", r.Headers.GetValues("Acr-Pass-Segments").Single()));
        Assert.Equal(Lengths.Length, server.Workers["a"].Passes);
        for (var i = 0; i < batches.Length; i++)
        {
            Assert.Equal(models.Alone(models.ModelA, batches[i]), await ServeModels.Scores(responses[i]));
        }
    }

    [Fact]
    public async Task A_pass_holds_at_most_max_pass_rows_and_a_larger_request_runs_alone()
    {
        await using var server = await models.Start(ServeModels.Options(new ServedModelSource("a", models.PathA)) with { BatchWindow = TimeSpan.FromMilliseconds(300), MaxPassRows = 50 });
        using var client = ServeModels.Client(server.Addresses[0]);
        var batches = new[] { models.Rows(0, 20), models.Rows(20, 20), models.Rows(40, 20), models.Rows(60, 80) };

        var responses = await Task.WhenAll(batches.Select(b => client.PostAsync("/v1/models/a/score", ServeModels.CsvContent(ServeModels.Csv(b, 6)))));

        for (var i = 0; i < batches.Length; i++)
        {
            Assert.Equal(models.Alone(models.ModelA, batches[i]), await ServeModels.Scores(responses[i]));
        }

        // 20 + 20 fit in 50 rows, a third 20 does not; the 80-row request exceeds the cap and runs alone.
        Assert.Equal("1", responses[3].Headers.GetValues("Acr-Pass-Segments").Single());
        Assert.All(responses.Take(3), r => Assert.True(int.Parse(r.Headers.GetValues("Acr-Pass-Segments").Single(), CultureInfo.InvariantCulture) <= 2));
    }
}

/// <summary>The padding of a merged pass to a bucketed row count (see ModelWorker.PaddedRows).</summary>
public sealed class PassPaddingTests
{
    [Fact]
    public void Passes_are_padded_by_about_a_quarter_at_most_never_by_one_row_and_to_few_sizes()
    {
        var sizes = new HashSet<int>();
        for (var rows = 1; rows <= 16_384; rows++)
        {
            var padded = Acr.Host.Serving.ModelWorker.PaddedRows(rows);
            Assert.True(padded >= rows, $"{rows} → {padded}");
            Assert.True(padded - rows != 1, $"{rows} → {padded}: a one-row padding segment");
            Assert.True(rows <= 16 || padded <= (rows * 1.25) + 2, $"{rows} → {padded}: more than a quarter of padding");
            sizes.Add(padded);
        }

        Assert.True(sizes.Count <= 16 + (4 * 11), $"{sizes.Count} distinct pass sizes for 1..16384 rows");
    }
}
