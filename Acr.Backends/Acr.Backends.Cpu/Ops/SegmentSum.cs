namespace Acr.Backends.Cpu.Ops;

/// <summary>Per-segment column sums in double, rows in order; one pass over the input.</summary>
internal sealed unsafe class SegmentSumKernel(CpuBackend backend) : CpuKernel<SegmentSumOp.Args>(backend, SegmentSumOp.Instance)
{
    protected override void Execute(in SegmentSumOp.Args a)
    {
        var c = a.X.Shape.Columns;
        float* x = Pointer(a.X), y = Pointer(a.Y);
        var sums = Backend.DoubleScratch.Ensure(Math.Max(1, c));
        var offsets = IntPointer(a.Segments.DeviceOffsets);
        for (var s = 0; s < a.Segments.Count; s++)
        {
            int start = offsets[s], end = offsets[s + 1];
            new Span<double>(sums, c).Clear();
            for (var i = start; i < end; i++)
            {
                var row = x + ((nint)i * c);
                for (var j = 0; j < c; j++)
                {
                    sums[j] += row[j];
                }
            }

            var n = end - start;
            for (var j = 0; j < c; j++)
            {
                y[((nint)s * c) + j] = (float)(a.Mean ? sums[j] / n : sums[j]);
            }
        }
    }
}

/// <summary>Each segment's row (scaled by 1/n_s for a mean) written to, or added into, its rows.</summary>
internal sealed unsafe class SegmentBroadcastKernel(CpuBackend backend) : CpuKernel<SegmentBroadcastOp.Args>(backend, SegmentBroadcastOp.Instance)
{
    protected override void Execute(in SegmentBroadcastOp.Args a)
    {
        var c = a.Dx.Shape.Columns;
        float* dy = Pointer(a.Dy), dx = Pointer(a.Dx);
        var offsets = IntPointer(a.Segments.DeviceOffsets);
        for (var s = 0; s < a.Segments.Count; s++)
        {
            int start = offsets[s], end = offsets[s + 1], n = end - start;
            var source = dy + ((nint)s * c);
            for (var i = start; i < end; i++)
            {
                var target = dx + ((nint)i * c);
                for (var j = 0; j < c; j++)
                {
                    var g = a.Mean ? source[j] / n : source[j];
                    target[j] = a.Accumulate ? target[j] + g : g;
                }
            }
        }
    }
}
