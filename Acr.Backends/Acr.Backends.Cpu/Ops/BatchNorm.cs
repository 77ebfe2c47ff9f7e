namespace Acr.Backends.Cpu.Ops;

/// <summary>Segmented batch-norm forward in 64-row chunks (see <see cref="Kernels.BatchNorm.Forward"/>), ReLU fused.</summary>
internal sealed unsafe class BatchNormForwardKernel(CpuBackend backend) : CpuKernel<BatchNormForwardOp.Args>(backend, BatchNormForwardOp.Instance)
{
    protected override void Execute(in BatchNormForwardOp.Args a)
    {
        int rows = a.X.Shape.Rows, channels = a.X.Shape.Columns;
        var segments = a.Segments;
        var statistics = segments.Count * channels;
        var chunks = Kernels.BatchNorm.ForwardChunks(segments.Offsets);
        var scratch = Backend.DoubleScratch.Ensure(checked((2 * chunks * channels) + (2 * statistics)));
        var affine = Backend.FloatScratch.Ensure(checked(2 * statistics));
        var chunkStarts = Backend.IntScratch.Ensure(segments.Count + 1);
        float* rm = a.RunningMean is null ? null : Pointer(a.RunningMean);
        float* rv = a.RunningVariance is null ? null : Pointer(a.RunningVariance);
        Kernels.BatchNorm.Forward(Backend.Pool, Pointer(a.X), rows, channels, IntPointer(segments.DeviceOffsets), segments.Count, Pointer(a.Gamma), Pointer(a.Beta),
            a.Epsilon, a.Activation == Activation.Relu, Pointer(a.Y), Pointer(a.Mean), Pointer(a.InverseStd), rm, rv, a.Momentum, scratch, affine, chunkStarts);
    }
}

/// <summary>Segmented batch-norm backward by segment × channel block, parameter sums combined in segment order.</summary>
internal sealed unsafe class BatchNormBackwardKernel(CpuBackend backend) : CpuKernel<BatchNormBackwardOp.Args>(backend, BatchNormBackwardOp.Instance)
{
    protected override void Execute(in BatchNormBackwardOp.Args a)
    {
        int rows = a.X.Shape.Rows, channels = a.X.Shape.Columns;
        var segments = a.Segments;
        var scratch = Backend.DoubleScratch.Ensure(2 * segments.Count * channels);
        Kernels.BatchNorm.Backward(Backend.Pool, Pointer(a.X), Pointer(a.Dy), rows, channels, IntPointer(segments.DeviceOffsets), segments.Count, Pointer(a.Gamma),
            Pointer(a.Mean), Pointer(a.InverseStd), Pointer(a.Dx), a.AccumulateInput, Pointer(a.DGamma), Pointer(a.DBeta), a.AccumulateParameters, scratch);
    }
}

/// <summary>Running-statistics batch norm as one row-broadcast affine pass.</summary>
internal sealed unsafe class BatchNormInferenceKernel(CpuBackend backend) : CpuKernel<BatchNormInferenceOp.Args>(backend, BatchNormInferenceOp.Instance)
{
    protected override void Execute(in BatchNormInferenceOp.Args a)
    {
        var channels = a.X.Shape.Columns;
        var scale = Backend.FloatScratch.Ensure(channels);
        Kernels.BatchNorm.Inference(Backend.Pool, Pointer(a.X), a.X.Shape.Rows, channels, Pointer(a.Gamma), Pointer(a.Beta), Pointer(a.RunningMean),
            Pointer(a.RunningVariance), a.Epsilon, Pointer(a.Y), scale);
    }
}
