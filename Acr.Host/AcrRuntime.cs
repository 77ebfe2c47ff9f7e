using Acr.Host.Composition;
using Acr.Host.Evaluation;
using Acr.Host.Models;
using Acr.Host.PluginLoading;
using Acr.Host.Training;

namespace Acr.Host;

/// <summary>
/// Acr as a library: the loaded plugins (detectors, backends, ops) and the services the <c>acr</c> command line is built
/// on — train, load, score, evaluate. A C# program needs a few lines:
/// <code>
/// using var acr = AcrRuntime.Load();
/// using var backend = acr.CreateBackend("cpu");
/// var data = CsvDatasetReader.Read("letter.csv.gz", new CsvReadOptions { LabelColumn = "lettr" });
/// using var model = acr.Train(data, new TrainingRequest { TrainClasses = ["A", "B", "C", "D"] }, backend);
/// model.Save("letter.safetensors");
/// float[] scores = model.Score(data).ScoresByRow();
/// </code>
/// Disposing the runtime unloads the plugins; dispose every backend and model first.
/// </summary>
public sealed class AcrRuntime : IDisposable
{
    private AcrRuntime(PluginCatalog catalog)
    {
        Catalog = catalog;
    }

    /// <summary>The loaded plugins and why any failed.</summary>
    public PluginCatalog Catalog { get; }

    /// <summary>Detectors, backends and plugin ops by name.</summary>
    public ComponentRegistry Registry => Catalog.Registry;

    /// <summary>
    /// Loads the plugins: <c>plugins/</c> beside the application, then <paramref name="pluginDirectories"/>, then
    /// <c>ACR_PLUGIN_PATH</c> (see <see cref="PluginCatalog.SearchPath"/>).
    /// </summary>
    /// <param name="pluginDirectories">Extra plugin folders.</param>
    public static AcrRuntime Load(IEnumerable<string>? pluginDirectories = null) => new(PluginCatalog.Load(PluginCatalog.SearchPath(pluginDirectories)));

    /// <summary>A runtime over plugins loaded elsewhere (e.g. by a test or a long-running host).</summary>
    /// <param name="catalog">The plugins.</param>
    public static AcrRuntime From(PluginCatalog catalog) => new(catalog ?? throw new ArgumentNullException(nameof(catalog)));

    /// <summary>Creates a backend (with every plugin kernel for it installed).</summary>
    /// <param name="name">Backend name, e.g. <c>cpu</c>.</param>
    /// <param name="device">Device index, or null for the first usable one.</param>
    /// <param name="options">Backend options, e.g. <c>threads</c>.</param>
    public ComputeBackend CreateBackend(string name = "cpu", int? device = null, IReadOnlyDictionary<string, string>? options = null) =>
        Registry.CreateBackend(name, device, options);

    /// <summary>Meta-trains a detector on the distributions of <paramref name="data"/> (see <see cref="ModelTrainer.Train"/>).</summary>
    /// <param name="data">Rows with a label or group column.</param>
    /// <param name="request">Detector, options, training distributions, seed, schedule.</param>
    /// <param name="backend">Where the model lives.</param>
    /// <param name="progress">Called after every iteration, or null.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    public TrainedModel Train(TabularDataset data, TrainingRequest request, ComputeBackend backend, Action<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default) => new ModelTrainer(Registry).Train(data, request, backend, progress, cancellationToken);

    /// <summary>Loads a saved model onto <paramref name="backend"/>.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <param name="backend">Where to put it.</param>
    public TrainedModel LoadModel(string path, ComputeBackend backend) => ModelStore.Load(path, Registry, backend);

    /// <summary>Runs the zero-shot-by-class protocol (see <see cref="ZeroShotByClassProtocol"/>).</summary>
    /// <param name="data">Labelled rows.</param>
    /// <param name="detector">The detector's name.</param>
    /// <param name="options">The protocol settings.</param>
    /// <param name="backend">Where to run.</param>
    /// <param name="progress">Training progress per seed, or null.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    public ZeroShotEvaluation Evaluate(TabularDataset data, string detector, ZeroShotProtocolOptions options, ComputeBackend backend,
        Action<int, TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new ZeroShotByClassProtocol(Registry.GetDetector(detector), backend).Run(data, options, progress, cancellationToken);

    /// <summary>Unloads the plugins.</summary>
    public void Dispose() => Catalog.Unload();
}
