namespace Acr.Backends.Gpu.Ops;

/// <summary><c>segment-sum</c>: one thread per (segment, column), rows in order, in double.</summary>
internal sealed class SegmentSumKernel(GpuBackend backend) : GpuKernel<SegmentSumOp.Args>(backend, SegmentSumOp.Instance)
{
    protected override void Execute(in SegmentSumOp.Args a)
    {
        int segments = a.Segments.Count, columns = a.X.Shape.Columns;
        if (segments * columns > 0)
        {
            Kernels.SegmentSum(Stream, Geometry.Linear(segments * columns), F(a.X), I(a.Segments.DeviceOffsets), F(a.Y), segments, columns, Flag(a.Mean));
        }
    }
}

/// <summary><c>segment-broadcast</c>: one grid-stride launch; each element finds its segment by binary search of the device offsets.</summary>
internal sealed class SegmentBroadcastKernel(GpuBackend backend) : GpuKernel<SegmentBroadcastOp.Args>(backend, SegmentBroadcastOp.Instance)
{
    protected override void Execute(in SegmentBroadcastOp.Args a)
    {
        int rows = a.Dx.Shape.Rows, columns = a.Dx.Shape.Columns;
        if (rows * columns > 0)
        {
            Kernels.SegmentBroadcast(Stream, Geometry.Linear(rows * columns), F(a.Dy), I(a.Segments.DeviceOffsets), F(a.Dx), rows, columns, a.Segments.Count, Flag(a.Mean), Flag(a.Accumulate));
        }
    }
}
