using Acr.Testing;

namespace Acr.Backends.Gpu.Tests;

/// <summary>The shared image-op facts (segmented BatchNorm2d = separate passes, argument messages) on ILGPU's CPU accelerator.</summary>
public sealed class IlgpuCpuImageOpsTests() : ImageOpsSuite(() => GpuBackendProvider.CreateSimulated(poison: true));
