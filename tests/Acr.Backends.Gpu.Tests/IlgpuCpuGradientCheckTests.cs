using Acr.Testing;

namespace Acr.Backends.Gpu.Tests;

/// <summary>Finite-difference checks of every differentiable op, on ILGPU's CPU accelerator (the GPU kernels, forward and backward).</summary>
public sealed class IlgpuCpuGradientCheckTests() : GradientCheckSuite(() => GpuBackendProvider.CreateSimulated());
