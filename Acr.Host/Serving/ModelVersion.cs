using System.Security.Cryptography;
using Acr.Host.Models;
using Acr.Host.Scoring;

namespace Acr.Host.Serving;

/// <summary>
/// One loaded version of a served model file: the trained model, its scorer, and the SHA-256 of the file it came from
/// (its version, returned with every score). Used by its model's scoring thread only; requests hold a lease on it while
/// they are prepared and scored, so a swapped-out version is disposed only when no request still needs it.
/// </summary>
internal sealed class ModelVersion : IDisposable
{
    private ModelVersion(TrainedModel model, string sha256, DateTimeOffset loadedAt, PluginEpoch epoch)
    {
        Model = model;
        Epoch = epoch;
        Scorer = new ZeroShotScorer(model.Model, model.Backend);
        Sha256 = sha256;
        LoadedAt = loadedAt;
    }

    public TrainedModel Model { get; }

    /// <summary>The plugins and backend this version was loaded with.</summary>
    public PluginEpoch Epoch { get; }

    public ZeroShotScorer Scorer { get; }

    /// <summary>Lower-case hex SHA-256 of the model file's bytes.</summary>
    public string Sha256 { get; }

    /// <summary>The first 12 hex digits of <see cref="Sha256"/>: the version clients see.</summary>
    public string Version => Sha256[..12];

    public DateTimeOffset LoadedAt { get; }

    public IReadOnlyList<string> FeatureNames => Model.Config.FeatureNames;

    /// <summary>Requests holding this version (guarded by the owning worker's lock).</summary>
    public int Leases { get; set; }

    /// <summary>
    /// Loads <paramref name="path"/> with <paramref name="epoch"/>'s plugins onto its backend. The file is hashed before
    /// and after loading; if it changed in between (replaced mid-read), the load is retried, so the version always
    /// names the bytes loaded.
    /// </summary>
    public static ModelVersion Load(string path, PluginEpoch epoch)
    {
        var (registry, backend) = (epoch.Registry, epoch.Backend);
        for (var attempt = 0; ; attempt++)
        {
            var before = Hash(path);
            var model = ModelStore.Load(path, registry, backend);
            var after = Hash(path);
            if (before == after || attempt >= 4)
            {
                if (before != after)
                {
                    model.Dispose();
                    throw new ModelFormatException($"Model file '{path}' kept changing while it was read; replace it with an atomic rename (write a temporary file, then mv it over).");
                }

                epoch.Versions++;
                return new ModelVersion(model, before, DateTimeOffset.UtcNow, epoch);
            }

            model.Dispose();
        }
    }

    /// <summary>SHA-256 of a file, lower-case hex.</summary>
    public static string Hash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Releases the model (not the epoch: its worker disposes that when no version uses it).</summary>
    public void Dispose()
    {
        Scorer.Dispose();
        Model.Dispose();
        Epoch.Versions--;
    }
}
