using System.Reflection;
using Acr.Autograd;
using Acr.Compute;
using Acr.Tensors;

namespace Acr.Abstractions.Tests;

/// <summary>
/// A plugin built against contract 1.0 must still bind to this assembly (PluginApi minor versions only
/// add): the 1.0 signatures that later versions extended are still present, exactly.
/// </summary>
public class ApiCompatibilityTests
{
    [Fact]
    public void The_1_0_batch_norm_op_signature_is_still_present()
    {
        var method = typeof(Ops).GetMethod(nameof(Ops.BatchNorm), BindingFlags.Public | BindingFlags.Static,
            [typeof(Tape), typeof(Variable), typeof(BatchSegments), typeof(Variable), typeof(Variable), typeof(float), typeof(Tensor), typeof(Tensor), typeof(float)]);
        Assert.NotNull(method);
        Assert.Equal(typeof(Variable), method.ReturnType);
    }

    [Fact]
    public void The_1_0_backend_members_are_still_present()
    {
        Assert.NotNull(typeof(IComputeBackend).GetMethod(nameof(IComputeBackend.BatchNormForward),
            [typeof(Tensor), typeof(BatchSegments), typeof(Tensor), typeof(Tensor), typeof(float), typeof(Tensor), typeof(Tensor), typeof(Tensor), typeof(Tensor), typeof(Tensor), typeof(float)]));
        Assert.NotNull(typeof(IComputeBackend).GetMethod(nameof(IComputeBackend.Gemm),
            [typeof(bool), typeof(bool), typeof(float), typeof(Tensor), typeof(Tensor), typeof(float), typeof(Tensor)]));
        Assert.NotNull(typeof(IComputeBackend).GetMethod(nameof(IComputeBackend.AddRowVector), [typeof(Tensor), typeof(Tensor), typeof(Tensor)]));
    }

    [Fact]
    public void Members_added_in_1_1_have_default_implementations()
    {
        var linear = typeof(IComputeBackend).GetMethod(nameof(IComputeBackend.Linear))!;
        var fused = typeof(IComputeBackend).GetMethod(nameof(IComputeBackend.BatchNormForward),
            [typeof(Tensor), typeof(BatchSegments), typeof(Tensor), typeof(Tensor), typeof(float), typeof(Activation), typeof(Tensor), typeof(Tensor), typeof(Tensor), typeof(Tensor), typeof(Tensor), typeof(float)])!;
        Assert.False(linear.IsAbstract, "IComputeBackend.Linear needs a default implementation, or 1.0 backends break");
        Assert.False(fused.IsAbstract, "the fused BatchNormForward needs a default implementation, or 1.0 backends break");
    }
}
