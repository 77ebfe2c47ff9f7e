namespace Acr.Abstractions.Tests;

/// <summary>
/// Finite-difference gradient checks of every differentiable op (central differences in float32; pass when
/// |analytic − numeric| ≤ atol + rtol·|numeric|, 2e-3 and 2e-2 unless an op's check says otherwise), on the
/// scalar reference.
/// </summary>
public sealed class ReferenceGradientCheckTests() : GradientCheckSuite(() => new ReferenceBackend());

/// <summary>The same gradient checks with the CPU kernels.</summary>
public sealed class CpuGradientCheckTests() : GradientCheckSuite(() => new CpuBackend(2));

/// <summary>The same gradient checks on the simulated asynchronous device (every op through the staged host fallback).</summary>
public sealed class QueuedDeviceGradientCheckTests() : GradientCheckSuite(() => new QueuedDeviceBackend());
