namespace Acr.Backends.Tests;

/// <summary>The conformance suite on the CPU backend with every logical core.</summary>
public sealed class CpuBackendConformanceTests() : BackendConformanceSuite(() => new CpuBackend());

/// <summary>The conformance suite on the CPU backend with a single thread (the serial code paths).</summary>
public sealed class CpuBackendSingleThreadConformanceTests() : BackendConformanceSuite(() => new CpuBackend(1));

/// <summary>The conformance suite with the GEMM forced onto the 6×16 Vector256 micro-kernel (the AVX2 path).</summary>
public sealed class CpuBackendVector256GemmConformanceTests() : BackendConformanceSuite(() => new CpuBackend(2, CpuBackend.GemmKernel.Vector256));

/// <summary>The conformance suite with the GEMM forced onto the portable scalar micro-kernel, and every allocation NaN-poisoned.</summary>
public sealed class CpuBackendScalarGemmConformanceTests() : BackendConformanceSuite(() => new CpuBackend(2, CpuBackend.GemmKernel.Scalar, poisonAllocations: true));

/// <summary>The conformance suite on the scalar reference itself: its memory, its argument rules and the in-place host path.</summary>
public sealed class ReferenceBackendConformanceTests() : BackendConformanceSuite(() => new ReferenceBackend())
{
    protected override bool HasKernelForEveryOp => false;
}

/// <summary>
/// The conformance suite on a simulated asynchronous device without kernels: every op runs its reference through the
/// staged host fallback (download, run, upload), in stream order, and memory semantics are those of a GPU stream.
/// </summary>
public sealed class QueuedDeviceConformanceTests() : BackendConformanceSuite(() => new QueuedDeviceBackend())
{
    protected override bool HasKernelForEveryOp => false;
}
