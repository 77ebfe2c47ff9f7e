using Acr.Backends.Cpu;

namespace Acr.Backends.Tests;

/// <summary>The conformance suite on the CPU backend with every logical core.</summary>
public sealed class CpuBackendConformanceTests() : BackendConformanceTests(() => new CpuBackend());

/// <summary>The conformance suite on the CPU backend with a single thread (the serial code paths).</summary>
public sealed class CpuBackendSingleThreadConformanceTests() : BackendConformanceTests(() => new CpuBackend(1));

/// <summary>The conformance suite with the GEMM forced onto the 6×16 Vector256 micro-kernel (the AVX2 path).</summary>
public sealed class CpuBackendVector256GemmConformanceTests() : BackendConformanceTests(() => new CpuBackend(2, CpuBackend.GemmKernel.Vector256));

/// <summary>The conformance suite with the GEMM forced onto the portable scalar micro-kernel.</summary>
public sealed class CpuBackendScalarGemmConformanceTests() : BackendConformanceTests(() => new CpuBackend(2, CpuBackend.GemmKernel.Scalar));
