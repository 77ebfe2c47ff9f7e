namespace Acr.Backends.Gpu.Ops;

/// <summary><c>conv2d-forward</c>: one thread per output element (see <see cref="ImageKernels.Conv2dForward"/>).</summary>
internal sealed class Conv2dForwardKernel(GpuBackend backend) : GpuKernel<Conv2dForwardOp.Args>(backend, Conv2dForwardOp.Instance)
{
    protected override void Execute(in Conv2dForwardOp.Args a)
    {
        if (a.Y.Length > 0)
        {
            var g = Conv2dGeometry.Of(a.X.Shape, a.Weight.Shape, a.Stride, a.Padding);
            Kernels.Conv2dForward(Stream, Geometry.Linear(a.Y.Length), F(a.X), F(a.Weight), F(a.Bias ?? a.Y), F(a.Y), ConvShape.Of(g, a.Bias is not null, false));
        }
    }
}

/// <summary><c>conv2d-backward-input</c>: one thread per input element, a gather over the outputs that read it.</summary>
internal sealed class Conv2dBackwardInputKernel(GpuBackend backend) : GpuKernel<Conv2dBackwardInputOp.Args>(backend, Conv2dBackwardInputOp.Instance)
{
    protected override void Execute(in Conv2dBackwardInputOp.Args a)
    {
        if (a.Dx.Length > 0)
        {
            var g = Conv2dGeometry.Of(a.Dx.Shape, a.Weight.Shape, a.Stride, a.Padding);
            Kernels.Conv2dBackwardInput(Stream, Geometry.Linear(a.Dx.Length), F(a.Dy), F(a.Weight), F(a.Dx), ConvShape.Of(g, false, a.Accumulate));
        }
    }
}

/// <summary><c>conv2d-backward-parameters</c>: one thread per filter element, then one per output channel for the bias.</summary>
internal sealed class Conv2dBackwardParametersKernel(GpuBackend backend) : GpuKernel<Conv2dBackwardParametersOp.Args>(backend, Conv2dBackwardParametersOp.Instance)
{
    protected override void Execute(in Conv2dBackwardParametersOp.Args a)
    {
        var g = Conv2dGeometry.Of(a.X.Shape, a.DWeight.Shape, a.Stride, a.Padding);
        var shape = ConvShape.Of(g, a.DBias is not null, a.Accumulate);
        Kernels.Conv2dBackwardWeight(Stream, Geometry.Linear(a.DWeight.Length), F(a.X), F(a.Dy), F(a.DWeight), shape);
        if (a.DBias is { } db)
        {
            Kernels.Conv2dBackwardBias(Stream, Geometry.Linear(db.Length), F(a.Dy), F(db), shape);
        }
    }
}

/// <summary><c>batch-norm-2d-forward</c>: one thread per (segment, channel), then the running statistics per channel over the segments in order.</summary>
internal sealed class BatchNorm2dForwardKernel(GpuBackend backend) : GpuKernel<BatchNorm2dForwardOp.Args>(backend, BatchNorm2dForwardOp.Instance)
{
    protected override void Execute(in BatchNorm2dForwardOp.Args a)
    {
        var image = ImageShape.Of(a.X.Shape);
        var pairs = a.Segments.Count * image.Channels;
        var running = a.RunningMean is not null;
        var shape = new Norm2dShape(a.Segments.Count, image.Channels, image.Pixels, a.Epsilon, a.Momentum, Flag(a.Activation == Activation.Relu), Flag(running), 0);
        var offsets = I(a.Segments.DeviceOffsets);
        var scratch = Backend.RentScratch(running ? 4 * pairs : 2);
        try
        {
            var doubles = scratch.Floats(scratch.Capacity).Cast<double>();
            Kernels.BatchNorm2dForward(Stream, Geometry.Linear(pairs), F(a.X), offsets, F(a.Gamma), F(a.Beta), F(a.Y), F(a.Mean), F(a.InverseStd), doubles, shape);
            if (running)
            {
                Kernels.BatchNorm2dUpdateRunning(Stream, Geometry.Linear(image.Channels), offsets, doubles, F(a.RunningMean!), F(a.RunningVariance!), shape);
            }
        }
        finally
        {
            Backend.ReturnScratch(scratch);
        }
    }
}

/// <summary><c>batch-norm-2d-backward</c>: dx per (segment, channel) thread; dγ and dβ folded per channel in segment order by the 1-d batch norm's kernel.</summary>
internal sealed class BatchNorm2dBackwardKernel(GpuBackend backend) : GpuKernel<BatchNorm2dBackwardOp.Args>(backend, BatchNorm2dBackwardOp.Instance)
{
    protected override void Execute(in BatchNorm2dBackwardOp.Args a)
    {
        var image = ImageShape.Of(a.X.Shape);
        var pairs = a.Segments.Count * image.Channels;
        var shape = new Norm2dShape(a.Segments.Count, image.Channels, image.Pixels, 0f, 0f, 0, 0, Flag(a.AccumulateInput));
        var fold = new BatchNormShape(a.Segments.Count, image.Channels, 0f, 0f, 0, 0, 0, Flag(a.AccumulateParameters));
        var scratch = Backend.RentScratch(4 * pairs);
        try
        {
            var doubles = scratch.Floats(scratch.Capacity).Cast<double>();
            Kernels.BatchNorm2dBackward(Stream, Geometry.Linear(pairs), F(a.X), F(a.Dy), I(a.Segments.DeviceOffsets), F(a.Gamma), F(a.Mean), F(a.InverseStd), F(a.Dx), doubles, shape);
            Kernels.BatchNormParameterGradients(Stream, Geometry.Linear(image.Channels), doubles, F(a.DGamma), F(a.DBeta), fold);
        }
        finally
        {
            Backend.ReturnScratch(scratch);
        }
    }
}

/// <summary><c>batch-norm-2d-inference</c>: one grid-stride launch in double.</summary>
internal sealed class BatchNorm2dInferenceKernel(GpuBackend backend) : GpuKernel<BatchNorm2dInferenceOp.Args>(backend, BatchNorm2dInferenceOp.Instance)
{
    protected override void Execute(in BatchNorm2dInferenceOp.Args a)
    {
        if (a.X.Length > 0)
        {
            var image = ImageShape.Of(a.X.Shape);
            var shape = new Norm2dShape(0, image.Channels, image.Pixels, a.Epsilon, 0f, 0, 0, 0);
            Kernels.BatchNorm2dInference(Stream, Geometry.Linear(a.X.Length), F(a.X), F(a.Gamma), F(a.Beta), F(a.RunningMean), F(a.RunningVariance), F(a.Y), a.X.Length, shape);
        }
    }
}

/// <summary><c>max-pool-2d-forward</c>: one thread per output.</summary>
internal sealed class MaxPool2dForwardKernel(GpuBackend backend) : GpuKernel<MaxPool2dForwardOp.Args>(backend, MaxPool2dForwardOp.Instance)
{
    protected override void Execute(in MaxPool2dForwardOp.Args a)
    {
        if (a.Y.Length > 0)
        {
            Kernels.MaxPool2dForward(Stream, Geometry.Linear(a.Y.Length), F(a.X), F(a.Y), I(a.Indices), PoolShape.Of(a.X.Shape, a.Window, false));
        }
    }
}

/// <summary><c>max-pool-2d-backward</c>: one thread per input pixel, a gather over the windows covering it.</summary>
internal sealed class MaxPool2dBackwardKernel(GpuBackend backend) : GpuKernel<MaxPool2dBackwardOp.Args>(backend, MaxPool2dBackwardOp.Instance)
{
    protected override void Execute(in MaxPool2dBackwardOp.Args a)
    {
        if (a.Dx.Length > 0)
        {
            Kernels.MaxPool2dBackward(Stream, Geometry.Linear(a.Dx.Length), F(a.Dy), I(a.Indices), F(a.Dx), PoolShape.Of(a.Dx.Shape, a.Window, a.Accumulate));
        }
    }
}

/// <summary><c>global-avg-pool-2d-forward</c>: one thread per plane, in double.</summary>
internal sealed class GlobalAvgPool2dForwardKernel(GpuBackend backend) : GpuKernel<GlobalAvgPool2dForwardOp.Args>(backend, GlobalAvgPool2dForwardOp.Instance)
{
    protected override void Execute(in GlobalAvgPool2dForwardOp.Args a)
    {
        if (a.Y.Length > 0)
        {
            Kernels.GlobalAvgPool2dForward(Stream, Geometry.Linear(a.Y.Length), F(a.X), F(a.Y), a.Y.Length, ImageShape.Of(a.X.Shape).Pixels);
        }
    }
}

/// <summary><c>global-avg-pool-2d-backward</c>: one grid-stride launch.</summary>
internal sealed class GlobalAvgPool2dBackwardKernel(GpuBackend backend) : GpuKernel<GlobalAvgPool2dBackwardOp.Args>(backend, GlobalAvgPool2dBackwardOp.Instance)
{
    protected override void Execute(in GlobalAvgPool2dBackwardOp.Args a)
    {
        if (a.Dx.Length > 0)
        {
            Kernels.GlobalAvgPool2dBackward(Stream, Geometry.Linear(a.Dx.Length), F(a.Dy), F(a.Dx), a.Dx.Length, ImageShape.Of(a.Dx.Shape).Pixels, Flag(a.Accumulate));
        }
    }
}
