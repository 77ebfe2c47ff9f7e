using Acr.Backends.Cpu;
using Acr.Compute;
using Acr.Detectors.DeepSvdd;
using Acr.Host.Benchmarks;
using BenchmarkDotNet.Attributes;

namespace Acr.Bench;

/// <summary>
/// The letter protocol end to end, on the workload <c>acr bench</c> measures (<see cref="LetterWorkload"/>): one ACR
/// meta-training step (32 tasks × 256 rows forwarded in one pass, backward, Adam; the tasks are drawn outside the
/// timed step, as bench/torch_acr_iteration.py draws them outside its timed region), task sampling on its own, and
/// zero-shot scoring of 1000-row batches, one per call and 16 per call as segments. Compare with
/// `python3 bench/torch_acr_iteration.py` run on the same machine (bench/compare-with-torch.sh).
/// </summary>
[MemoryDiagnoser]
public class MetaTrainingBenchmarks
{
    private ComputeBackend _backend = null!;
    private LetterWorkload _workload = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend(Threads);
        _workload = new LetterWorkload(new DeepSvddDetector(), _backend);
    }

    [Benchmark(Description = "meta-training step, 32 tasks x 256 rows")]
    public double Step() => _workload.Step();

    [Benchmark(Description = "draw 32 tasks x 256 rows")]
    public void SampleTasks() => _workload.SampleTasks();

    [Benchmark(Description = "zero-shot score one 1000-row batch")]
    public void Score() => _workload.ScoreOne();

    [Benchmark(Description = "zero-shot score 16 x 1000-row batches in one call")]
    public void ScoreSegmented() => _workload.ScoreSegmented();

    [GlobalCleanup]
    public void Cleanup()
    {
        _workload.Dispose();
        _backend.Dispose();
    }
}
