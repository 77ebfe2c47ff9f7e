namespace Acr.Host.Tests;

/// <summary>
/// A short ACR-NTL run on the full letter data (embedded in acr, the same file as <c>../shared/data/letter.csv.gz</c>): meta-train on A–M, score the unseen
/// N–Z zero-shot; ACR must beat the raw-batch-norm baseline B2 and the running-statistics baseline B1.
/// </summary>
public class NtlLetterTests
{
    [Fact]
    public void Ntl_zero_shot_auroc_beats_raw_batch_norm_on_letter()
    {
        // The catalog stays reachable for the whole run: collecting it would unload the plugins mid-run.
        var catalog = PluginCatalog.Load(PluginCatalog.SearchPath());
        var registry = catalog.Registry;
        using var backend = registry.CreateBackend("cpu");
        var detector = registry.GetDetector("ntl");
        var data = EmbeddedDatasets.Letter();
        var options = new ZeroShotProtocolOptions
        {
            Seeds = 1,
            Contaminations = [0.05, 0.1],
            Training = new MetaTrainingOptions { Iterations = 300, TasksPerIteration = 8 },
            DetectorOptions = DetectorOptionResolver.Resolve(detector, null),
        };
        using var result = new ZeroShotByClassProtocol(detector, backend).Run(data, options);
        foreach (var pi in options.Contaminations)
        {
            var acr = result.Summary.Single(s => s.Method == "ACR" && s.Contamination == pi).AurocMean;
            var b1 = result.Summary.Single(s => s.Method == "B1" && s.Contamination == pi).AurocMean;
            var b2 = result.Summary.Single(s => s.Method == "B2" && s.Contamination == pi).AurocMean;
            Assert.True(acr > b2, $"π={pi}: ACR-NTL {acr:F3} does not beat B2 {b2:F3}");
            Assert.True(acr > b1, $"π={pi}: ACR-NTL {acr:F3} does not beat B1 {b1:F3}");
        }

        GC.KeepAlive(catalog);
    }
}
