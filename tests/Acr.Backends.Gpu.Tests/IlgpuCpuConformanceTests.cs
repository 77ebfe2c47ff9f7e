using Acr.Testing;

namespace Acr.Backends.Gpu.Tests;

/// <summary>
/// The conformance suite on ILGPU's CPU accelerator: the very kernels CUDA and OpenCL run, on a simulator. It is slow (an
/// OS thread per simulated thread, about half a millisecond per group barrier), so only samples of at most
/// <see cref="SampleLimit"/> elements are checked; every op keeps its small and ragged samples (1, 17 and 257-length
/// sweeps, 2-row segments, odd GEMM tiles). New allocations are NaN-poisoned: a kernel that reads memory it never wrote fails.
/// </summary>
public sealed class IlgpuCpuConformanceTests() : BackendConformanceSuite(() => GpuBackendProvider.CreateSimulated(poison: true))
{
    /// <summary>The sample size limit on the simulator.</summary>
    public const long SampleLimit = 40_000;

    protected override long MaxSampleElements => SampleLimit;
}
