namespace Acr.Backends.Gpu.Ops;

/// <summary>
/// <c>batch-norm-forward</c>: statistics, output and fused ReLU in one launch, a group per (segment, tile of channels);
/// the running statistics in a second, per channel, over the segments in order (from a pooled double scratch).
/// </summary>
internal sealed class BatchNormForwardKernel(GpuBackend backend) : GpuKernel<BatchNormForwardOp.Args>(backend, BatchNormForwardOp.Instance)
{
    /// <summary>The grid of the batch-norm kernels: channel tiles × segments, groups of NormColumns × NormLanes threads.</summary>
    internal static KernelConfig NormConfig(Devices.LaunchGeometry g, int segments, int channels) =>
        new(new Index2D((channels + g.NormColumns - 1) / g.NormColumns, segments), new Index2D(g.NormColumns, g.NormLanes));

    protected override void Execute(in BatchNormForwardOp.Args a)
    {
        int segments = a.Segments.Count, channels = a.X.Shape.Columns;
        if (channels == 0)
        {
            return;
        }

        var running = a.RunningMean is not null;
        var shape = new BatchNormShape(segments, channels, a.Epsilon, a.Momentum, Flag(a.Activation == Activation.Relu), Flag(running), 0, 0);
        var offsets = I(a.Segments.DeviceOffsets);
        var scratch = Backend.RentScratch(running ? 4 * segments * channels : 2);
        try
        {
            var doubles = scratch.Floats(scratch.Capacity).Cast<double>();
            Kernels.BatchNormForward(Stream, NormConfig(Geometry, segments, channels), F(a.X), offsets, F(a.Gamma), F(a.Beta), F(a.Y), F(a.Mean), F(a.InverseStd), doubles, shape);
            if (running)
            {
                Kernels.BatchNormUpdateRunning(Stream, Geometry.Linear(channels), offsets, doubles, F(a.RunningMean!), F(a.RunningVariance!), shape);
            }
        }
        finally
        {
            Backend.ReturnScratch(scratch);
        }
    }
}

/// <summary>
/// <c>batch-norm-backward</c>: dx in one launch, a group per (segment, tile of channels), which also leaves Σdy and Σdy·x̂ in a pooled double
/// scratch; dγ and dβ in a second, per channel, summing the segments in order.
/// </summary>
internal sealed class BatchNormBackwardKernel(GpuBackend backend) : GpuKernel<BatchNormBackwardOp.Args>(backend, BatchNormBackwardOp.Instance)
{
    protected override void Execute(in BatchNormBackwardOp.Args a)
    {
        int segments = a.Segments.Count, channels = a.X.Shape.Columns;
        if (channels == 0)
        {
            return;
        }

        var shape = new BatchNormShape(segments, channels, 0f, 0f, 0, 0, Flag(a.AccumulateInput), Flag(a.AccumulateParameters));
        var scratch = Backend.RentScratch(4 * segments * channels);
        try
        {
            var doubles = scratch.Floats(scratch.Capacity).Cast<double>();
            Kernels.BatchNormBackward(Stream, BatchNormForwardKernel.NormConfig(Geometry, segments, channels), F(a.X), F(a.Dy), I(a.Segments.DeviceOffsets), F(a.Gamma), F(a.Mean), F(a.InverseStd), F(a.Dx), doubles, shape);
            Kernels.BatchNormParameterGradients(Stream, Geometry.Linear(channels), doubles, F(a.DGamma), F(a.DBeta), shape);
        }
        finally
        {
            Backend.ReturnScratch(scratch);
        }
    }
}

/// <summary><c>batch-norm-inference</c>: one grid-stride launch in double.</summary>
internal sealed class BatchNormInferenceKernel(GpuBackend backend) : GpuKernel<BatchNormInferenceOp.Args>(backend, BatchNormInferenceOp.Instance)
{
    protected override void Execute(in BatchNormInferenceOp.Args a)
    {
        int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        if (rows * columns > 0)
        {
            Kernels.BatchNormInference(Stream, Geometry.Linear(rows * columns), F(a.X), F(a.Gamma), F(a.Beta), F(a.RunningMean), F(a.RunningVariance), F(a.Y), rows, columns, a.Epsilon);
        }
    }
}
