namespace Acr.Host.Tests;

/// <summary>
/// A short ACR run on the embedded letter data: meta-train on A–M for a few dozen iterations, score the
/// unseen N–Z zero-shot. ACR must be well above chance and above the raw-batch-norm baseline B2.
/// </summary>
public class EndToEndLetterTests
{
    [Fact]
    public void Zero_shot_auroc_beats_chance_and_raw_batch_norm()
    {
        var registry = PluginCatalog.Load(PluginCatalog.SearchPath()).Registry;
        using var backend = registry.CreateBackend("cpu");
        var detector = registry.GetDetector("deep-svdd");
        var options = new ZeroShotProtocolOptions
        {
            Seeds = 1,
            Contaminations = [0.05, 0.1],
            Training = new MetaTrainingOptions { Iterations = 60 },
            DetectorOptions = DetectorOptionResolver.Resolve(detector, null),
        };
        using var result = new ZeroShotByClassProtocol(detector, backend).Run(EmbeddedDatasets.Letter(), options);

        Assert.Equal(["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M"], result.Split.TrainClasses);
        foreach (var pi in options.Contaminations)
        {
            var acr = result.Summary.Single(s => s.Method == "ACR" && s.Contamination == pi).AurocMean;
            var b1 = result.Summary.Single(s => s.Method == "B1" && s.Contamination == pi).AurocMean;
            var b2 = result.Summary.Single(s => s.Method == "B2" && s.Contamination == pi).AurocMean;
            Assert.True(acr > 0.85, $"π={pi}: ACR AUROC {acr:F3} is not well above chance");
            Assert.True(acr > b2, $"π={pi}: ACR {acr:F3} does not beat B2 {b2:F3}");
            Assert.True(acr > b1, $"π={pi}: ACR {acr:F3} does not beat B1 {b1:F3}");
        }
    }
}
