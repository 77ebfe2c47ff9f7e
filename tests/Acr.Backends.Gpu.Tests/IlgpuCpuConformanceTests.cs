using Acr.Testing;

namespace Acr.Backends.Gpu.Tests;

/// <summary>
/// The conformance suite on ILGPU's CPU accelerator: the very kernels CUDA and OpenCL run, on a simulator, against the
/// scalar reference on every sample of every op (the simulator is slow per barrier and per thread, but the kernels use
/// small groups there, so the whole suite takes under a minute). New allocations are NaN-poisoned: a kernel that reads
/// memory it never wrote fails.
/// </summary>
public sealed class IlgpuCpuConformanceTests() : BackendConformanceSuite(() => GpuBackendProvider.CreateSimulated(poison: true));
