using System.Net.Http.Headers;
using Acr.Compute;
using Acr.Host.Models;
using Acr.Host.Serving;
using Acr.Nn;

namespace Acr.Host.Tests.Serving;

/// <summary>The serving tests run one at a time (they start servers and a child process) and share two small trained models.</summary>
[CollectionDefinition(Name)]
public sealed class ServeTestGroup : ICollectionFixture<ServeModels>
{
    public const string Name = "serve";
}

/// <summary>
/// Two deep SVDD models meta-trained on Gaussian blobs (6 features; seeds 1 and 2, so they score differently), their
/// files, and the in-process reference: a batch scored ALONE by <see cref="ZeroShotScorer"/>, which every served answer
/// must equal.
/// </summary>
public sealed class ServeModels : IDisposable
{
    private readonly TempDirectory _dir = new();

    public ServeModels()
    {
        Runtime = AcrRuntime.Load();
        Backend = Runtime.CreateBackend("cpu");
        Data = CsvDatasetReader.Read(_dir.Write("blobs.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 80, features: 6)), new CsvReadOptions { LabelColumn = "cls" });
        PathA = _dir.File("a.safetensors");
        PathB = _dir.File("b.safetensors");
        ModelA = Train(1, PathA);
        ModelB = Train(2, PathB);
    }

    public AcrRuntime Runtime { get; }

    public ComputeBackend Backend { get; }

    public TabularDataset Data { get; }

    public string PathA { get; }

    public string PathB { get; }

    public TrainedModel ModelA { get; }

    public TrainedModel ModelB { get; }

    public IReadOnlyList<string> Features => ModelA.Config.FeatureNames;

    public string Directory => _dir.Path;

    private TrainedModel Train(ulong seed, string path)
    {
        var model = Runtime.Train(Data, new TrainingRequest
        {
            TrainClasses = ["a", "b"],
            Seed = seed,
            DetectorOptions = new Dictionary<string, string> { ["hidden"] = "32", ["layers"] = "2", ["embedding"] = "8" },
            Training = new MetaTrainingOptions { Iterations = 15, TaskSize = 32, TasksPerIteration = 4 },
        }, Backend);
        model.Save(path);
        return model;
    }

    /// <summary><paramref name="count"/> raw rows (model feature order) starting at <paramref name="first"/>, wrapping around the data.</summary>
    public float[] Rows(int first, int count)
    {
        var f = Data.Columns;
        var rows = new float[count * f];
        for (var r = 0; r < count; r++)
        {
            Data.Features.AsSpan(((first + r) % Data.Rows) * f, f).CopyTo(rows.AsSpan(r * f));
        }

        return rows;
    }

    /// <summary>The batch's scores when it is scored alone, in process: preprocessing, then one forward pass of one segment.</summary>
    public float[] Alone(TrainedModel model, float[] raw, BatchNormMode mode = BatchNormMode.Batch)
    {
        using var scorer = new ZeroShotScorer(model.Model, model.Backend);
        return scorer.Score(model.Standardizer.Transform(raw), [raw.Length / Features.Count], mode);
    }

    public static ServeOptions Options(params ServedModelSource[] models) => new() { Models = models, Urls = ["http://127.0.0.1:0"] };

    public Task<AcrServer> Start(ServeOptions options) => AcrServer.StartAsync(options, Runtime.Registry);

    public static string Csv(float[] raw, int columns, IReadOnlyList<string>? header = null)
    {
        var sb = new StringBuilder();
        if (header is not null)
        {
            sb.AppendJoin(',', header).Append('\n');
        }

        for (var r = 0; r < raw.Length / columns; r++)
        {
            for (var j = 0; j < columns; j++)
            {
                sb.Append(j == 0 ? "" : ",").Append(raw[(r * columns) + j].ToString("R", CultureInfo.InvariantCulture));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    public static StringContent CsvContent(string text) => new(text, Encoding.UTF8, "text/csv");

    /// <summary>Scores from a JSON answer.</summary>
    public static async Task<float[]> Scores(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        using var json = System.Text.Json.JsonDocument.Parse(text);
        return json.RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetSingle()).ToArray();
    }

    /// <summary>
    /// <paramref name="clients"/> clients posting <paramref name="batches"/> round-robin to <paramref name="model"/> until
    /// <paramref name="stop"/>: each 200 goes into <paramref name="answers"/> (the model version, the batch index, its
    /// scores), anything else into <paramref name="failures"/>.
    /// </summary>
    public Task[] PostUntilStopped(HttpClient client, string model, float[][] batches, int clients,
        System.Collections.Concurrent.ConcurrentQueue<(string Version, int Batch, float[] Scores)> answers, System.Collections.Concurrent.ConcurrentQueue<string> failures, CancellationToken stop) =>
        Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (var i = c; !stop.IsCancellationRequested; i++)
            {
                var b = i % batches.Length;
                using var response = await client.PostAsync($"/v1/models/{model}/score", CsvContent(Csv(batches[b], Features.Count)));
                if (response.StatusCode != System.Net.HttpStatusCode.OK)
                {
                    failures.Enqueue($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    continue;
                }

                answers.Enqueue((response.Headers.GetValues("Acr-Model-Version").Single(), b, await Scores(response)));
            }
        })).ToArray();

    public static HttpClient Client(Uri address) => new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };

    public static MediaTypeWithQualityHeaderValue Accept(string type) => new(type);

    public void Dispose()
    {
        ModelA.Dispose();
        ModelB.Dispose();
        Backend.Dispose();
        Runtime.Dispose();
        _dir.Dispose();
    }
}
