namespace Acr.Backends.Cpu.Ops;

/// <summary>Convolution forward: im2col in bounded chunks + the blocked GEMM (see <see cref="Kernels.Convolution"/>), or the direct loops when the backend is set to them.</summary>
internal sealed unsafe class Conv2dForwardKernel(CpuBackend backend) : CpuKernel<Conv2dForwardOp.Args>(backend, Conv2dForwardOp.Instance)
{
    protected override void Execute(in Conv2dForwardOp.Args a)
    {
        var g = Conv2dGeometry.Of(a.X.Shape, a.Weight.Shape, a.Stride, a.Padding);
        var bias = a.Bias is null ? null : Pointer(a.Bias);
        if (Backend.Convolution == CpuBackend.ConvolutionAlgorithm.Direct)
        {
            Kernels.Convolution.DirectForward(Backend, g, Pointer(a.X), Pointer(a.Weight), bias, Pointer(a.Y));
        }
        else
        {
            Kernels.Convolution.Forward(Backend, g, Pointer(a.X), Pointer(a.Weight), bias, Pointer(a.Y));
        }
    }
}

/// <summary>Convolution input gradient: Wᵀ · dy by GEMM per chunk, then col2im per (image, channel) plane.</summary>
internal sealed unsafe class Conv2dBackwardInputKernel(CpuBackend backend) : CpuKernel<Conv2dBackwardInputOp.Args>(backend, Conv2dBackwardInputOp.Instance)
{
    protected override void Execute(in Conv2dBackwardInputOp.Args a) =>
        Kernels.Convolution.BackwardInput(Backend, Conv2dGeometry.Of(a.Dx.Shape, a.Weight.Shape, a.Stride, a.Padding), Pointer(a.Dy), Pointer(a.Weight), Pointer(a.Dx), a.Accumulate);
}

/// <summary>Convolution parameter gradients: dy · colᵀ by GEMM per chunk, folded in chunk order; bias sums in double.</summary>
internal sealed unsafe class Conv2dBackwardParametersKernel(CpuBackend backend) : CpuKernel<Conv2dBackwardParametersOp.Args>(backend, Conv2dBackwardParametersOp.Instance)
{
    protected override void Execute(in Conv2dBackwardParametersOp.Args a) =>
        Kernels.Convolution.BackwardParameters(Backend, Conv2dGeometry.Of(a.X.Shape, a.DWeight.Shape, a.Stride, a.Padding), Pointer(a.X), Pointer(a.Dy), Pointer(a.DWeight),
            a.DBias is null ? null : Pointer(a.DBias), a.Accumulate);
}
