// Load generator for `acr serve`, and the in-process bound it is compared with.
//
//   load  --url URL --model NAME --rows-file F --clients N --requests R [--rows 256] [--max-seconds S]
//         N clients send R requests in all (each a batch of --rows consecutive rows of F, a headerless CSV of feature
//         rows), each client one request at a time; prints one JSON line: throughput, p50/p99 latency, errors, and the
//         mean number of requests that shared a forward pass (Acr-Pass-Segments).
//   bound --model-file M --rows-file F --plugins DIR [--rows 256] [--segments 1] [--seconds 5]
//         the same batches scored in process by ZeroShotScorer, --segments batches per forward pass: the ceiling for
//         the server, with no HTTP, parsing or copying.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Acr.Host;
using Acr.Host.Scoring;
using Acr.Nn;

var command = args.Length > 0 ? args[0] : "";
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

string Get(string name, string? fallback = null) => options.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required");
int GetInt(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var rowsPerBatch = GetInt("rows", 256);
var lines = File.ReadAllLines(Get("rows-file")).Where(l => l.Length > 0).ToArray();
var batchCount = lines.Length / rowsPerBatch;
if (batchCount == 0)
{
    throw new ArgumentException($"{Get("rows-file")} has {lines.Length} rows; need at least --rows {rowsPerBatch}");
}

return command switch
{
    "load" => await Load(),
    "bound" => Bound(),
    _ => Usage(),
};

int Usage()
{
    Console.Error.WriteLine("usage: Acr.ServeLoad load|bound [options] (see the comment at the top of Program.cs)");
    return 2;
}

async Task<int> Load()
{
    var clients = GetInt("clients", 1);
    var total = GetInt("requests", 200);
    var maxSeconds = GetInt("max-seconds", 120);
    var bodies = Enumerable.Range(0, batchCount).Select(b => Encoding.UTF8.GetBytes(string.Join('\n', lines.Skip(b * rowsPerBatch).Take(rowsPerBatch)) + "\n")).ToArray();
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
    using var http = new HttpClient(handler) { BaseAddress = new Uri(Get("url")), Timeout = TimeSpan.FromSeconds(60) };
    var path = $"/v1/models/{Get("model")}/score";

    // Warm-up: JIT, connections, the model's first passes; not counted.
    await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Send(bodies[c % bodies.Length])));

    var next = -1;
    var latencies = new double[total];
    var segments = new int[total];
    var errors = 0;
    var deadline = Stopwatch.StartNew();
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < total && deadline.Elapsed.TotalSeconds < maxSeconds)
        {
            var start = Stopwatch.GetTimestamp();
            var (ok, seg) = await Send(bodies[i % bodies.Length]);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            segments[i] = seg;
            if (!ok)
            {
                Interlocked.Increment(ref errors);
            }
        }
    })));
    var seconds = clock.Elapsed.TotalSeconds;
    var done = Math.Min(total, next);
    var sorted = latencies.Take(done).Order().ToArray();
    double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"clients\":{clients},\"requests\":{done},\"errors\":{errors},\"seconds\":{seconds:F3},\"requests_per_s\":{done / seconds:F1},\"rows_per_s\":{done * rowsPerBatch / seconds:F0},\"p50_ms\":{Percentile(0.50):F2},\"p99_ms\":{Percentile(0.99):F2},\"mean_segments_per_pass\":{segments.Take(done).DefaultIfEmpty().Average():F2}}}"));
    return 0;

    async Task<(bool Ok, int Segments)> Send(byte[] body)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
            using var response = await http.PostAsync(path, content);
            var text = await response.Content.ReadAsStringAsync();
            var ok = response.StatusCode == HttpStatusCode.OK && text.Contains("\"scores\"", StringComparison.Ordinal);
            var seg = response.Headers.TryGetValues("Acr-Pass-Segments", out var v) ? int.Parse(v.First(), CultureInfo.InvariantCulture) : 0;
            return (ok, seg);
        }
        catch (HttpRequestException)
        {
            return (false, 0);
        }
    }
}

int Bound()
{
    var segmentsPerPass = GetInt("segments", 1);
    var seconds = GetInt("seconds", 5);
    using var acr = AcrRuntime.Load([Get("plugins")]);
    using var backend = acr.CreateBackend("cpu");
    using var model = acr.LoadModel(Get("model-file"), backend);
    var features = model.Config.FeatureNames.Count;
    var raw = lines.Take(batchCount * rowsPerBatch).SelectMany(l => l.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture))).ToArray();
    var x = model.Standardizer.Transform(raw);
    using var scorer = new ZeroShotScorer(model.Model, backend);
    var lengths = Enumerable.Repeat(rowsPerBatch, segmentsPerPass).ToArray();
    var passRows = rowsPerBatch * segmentsPerPass;
    var pass = new float[passRows * features];
    for (var r = 0; r < passRows; r++)
    {
        x.AsSpan((r % (batchCount * rowsPerBatch)) * features, features).CopyTo(pass.AsSpan(r * features));
    }

    for (var w = 0; w < 5; w++)
    {
        scorer.Score(pass, lengths, BatchNormMode.Batch);
    }

    var clock = Stopwatch.StartNew();
    var passes = 0;
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        scorer.Score(pass, lengths, BatchNormMode.Batch);
        passes++;
    }

    var s = clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"segments_per_pass\":{segmentsPerPass},\"rows_per_batch\":{rowsPerBatch},\"passes\":{passes},\"batches_per_s\":{passes * segmentsPerPass / s:F1},\"rows_per_s\":{passes * passRows / s:F0},\"ms_per_pass\":{s * 1000 / passes:F3}}}"));
    return 0;
}
