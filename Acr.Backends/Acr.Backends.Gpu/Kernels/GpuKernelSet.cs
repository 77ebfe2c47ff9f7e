using System.Reflection;

namespace Acr.Backends.Gpu.Kernels;

/// <summary>
/// Every ILGPU kernel of the backend, loaded (compiled for the accelerator) once, when a device is opened, so no launch
/// compiles. The fields are ILGPU's launchers: <c>(stream, config, arguments…)</c>, enqueued on the stream given.
/// A kernel ILGPU cannot compile fails the device's opening with <see cref="GpuKernelCompilationException"/>, naming it.
/// Every launcher counts its launches per stream (an array increment under the device lock, so a backend can report how
/// many launches a training step takes).
/// </summary>
internal sealed class GpuKernelSet
{
    private readonly List<string> _names = [];
    private readonly Dictionary<AcceleratorStream, long[]> _launches = new(ReferenceEqualityComparer.Instance);

    public GpuKernelSet(Accelerator accelerator)
    {
        Accelerator = accelerator;
        if (Devices.LaunchGeometry.IsSimulator(accelerator))
        {
            LoadShaped<SimulatorKernelShape>();
        }
        else
        {
            LoadShaped<DeviceKernelShape>();
        }

        Fill = Load<ArrayView<int>, int, int>(ElementWiseKernels.Fill);
        Relu = Load<ArrayView<float>, ArrayView<float>, int>(ElementWiseKernels.Relu);
        ShiftedReciprocal = Load<ArrayView<float>, ArrayView<float>, int, float>(ElementWiseKernels.ShiftedReciprocal);
        Axpy = Load<ArrayView<float>, ArrayView<float>, int, float>(ElementWiseKernels.Axpy);
        ReluBackward = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ElementWiseKernels.ReluBackward);
        ShiftedReciprocalBackward = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ElementWiseKernels.ShiftedReciprocalBackward);
        AddRowVector = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ElementWiseKernels.AddRowVector);
        GatherRows = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int>(ElementWiseKernels.GatherRows);
        AcrObjectiveBackward = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ElementWiseKernels.AcrObjectiveBackward);
        AdamUpdate = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamConstants>(ElementWiseKernels.AdamUpdate);
        BatchNormInference = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(ElementWiseKernels.BatchNormInference);
        GroupMeanBackward = Load<ArrayView<float>, ArrayView<float>, int, int, int, int>(ElementWiseKernels.GroupMeanBackward);
        SegmentBroadcast = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int, int>(ElementWiseKernels.SegmentBroadcast);
        RowLogSumExpBackward = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(ElementWiseKernels.RowLogSumExpBackward);
        RowSquaredDistanceBackwardZ = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(ElementWiseKernels.RowSquaredDistanceBackwardZ);
        ColumnSum = Load<ArrayView<float>, ArrayView<float>, int, int, int>(ReductionKernels.ColumnSum);
        RowSquaredDistance = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ReductionKernels.RowSquaredDistance);
        RowSquaredDistanceBackwardCenter = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(ReductionKernels.RowSquaredDistanceBackwardCenter);
        ColumnPartials = Load<ArrayView<float>, ArrayView<double>, int, int, int>(ReductionKernels.ColumnPartials);
        DistanceCenterPartials = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int, int>(ReductionKernels.DistanceCenterPartials);
        ColumnFinish = Load<ArrayView<double>, ArrayView<float>, int, int, int>(ReductionKernels.ColumnFinish);
        ScatterAddRows = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int>(ReductionKernels.ScatterAddRows);
        GroupMean = Load<ArrayView<float>, ArrayView<float>, int, int, int>(ReductionKernels.GroupMean);
        SegmentSum = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int>(ReductionKernels.SegmentSum);
        RowLogSumExp = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(ReductionKernels.RowLogSumExp);
        RowL2Normalize = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(ReductionKernels.RowL2Normalize);
        RowL2NormalizeBackward = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int>(ReductionKernels.RowL2NormalizeBackward);
        BatchNormUpdateRunning = Load<ArrayView<int>, ArrayView<double>, ArrayView<float>, ArrayView<float>, BatchNormShape>(BatchNormKernels.UpdateRunning);
        BatchNormParameterGradients = Load<ArrayView<double>, ArrayView<float>, ArrayView<float>, BatchNormShape>(BatchNormKernels.ParameterGradients);
        GemmReduceSplits = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>(GemmKernels.ReduceSplits);
        Conv2dForward = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape>(ImageKernels.Conv2dForward);
        Conv2dBackwardInput = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape>(ImageKernels.Conv2dBackwardInput);
        Conv2dBackwardWeight = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape>(ImageKernels.Conv2dBackwardWeight);
        Conv2dBackwardBias = Load<ArrayView<float>, ArrayView<float>, ConvShape>(ImageKernels.Conv2dBackwardBias);
        BatchNorm2dForward = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, Norm2dShape>(ImageKernels.BatchNorm2dForward);
        BatchNorm2dUpdateRunning = Load<ArrayView<int>, ArrayView<double>, ArrayView<float>, ArrayView<float>, Norm2dShape>(ImageKernels.BatchNorm2dUpdateRunning);
        BatchNorm2dBackward = Load<ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, Norm2dShape>(ImageKernels.BatchNorm2dBackward);
        BatchNorm2dInference = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, Norm2dShape>(ImageKernels.BatchNorm2dInference);
        MaxPool2dForward = Load<ArrayView<float>, ArrayView<float>, ArrayView<int>, PoolShape>(ImageKernels.MaxPool2dForward);
        MaxPool2dBackward = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, PoolShape>(ImageKernels.MaxPool2dBackward);
        GlobalAvgPool2dForward = Load<ArrayView<float>, ArrayView<float>, int, int>(ImageKernels.GlobalAvgPool2dForward);
        GlobalAvgPool2dBackward = Load<ArrayView<float>, ArrayView<float>, int, int, int>(ImageKernels.GlobalAvgPool2dBackward);
    }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape> Conv2dForward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape> Conv2dBackwardInput { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape> Conv2dBackwardWeight { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ConvShape> Conv2dBackwardBias { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, Norm2dShape> BatchNorm2dForward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<int>, ArrayView<double>, ArrayView<float>, ArrayView<float>, Norm2dShape> BatchNorm2dUpdateRunning { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, Norm2dShape> BatchNorm2dBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, Norm2dShape> BatchNorm2dInference { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, PoolShape> MaxPool2dForward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, PoolShape> MaxPool2dBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int> GlobalAvgPool2dForward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> GlobalAvgPool2dBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<double>, int, int, int> ColumnPartials { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int, int> DistanceCenterPartials { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<double>, ArrayView<float>, int, int, int> ColumnFinish { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape> GemmReduceSplits { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape> GemmLarge { get; private set; } = null!;

    /// <summary>The accelerator the kernels were compiled for.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>How many kernels were compiled.</summary>
    public int Count { get; private set; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<int>, int, int> Fill { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int> Relu { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, float> ShiftedReciprocal { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, float> Axpy { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> ReluBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> ShiftedReciprocalBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> AddRowVector { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int> GatherRows { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> AcrObjectiveBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamConstants> AdamUpdate { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> BatchNormInference { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int, int> GroupMeanBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int, int> SegmentBroadcast { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> RowLogSumExpBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> RowSquaredDistanceBackwardZ { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> ColumnSum { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> RowSquaredDistance { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> RowSquaredDistanceBackwardCenter { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> AcrObjective { get; private set; } = null!;

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int> ScatterAddRows { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> GroupMean { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int> SegmentSum { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> RowLogSumExp { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> RowL2Normalize { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int> RowL2NormalizeBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormShape> BatchNormForward { get; private set; } = null!;

    public Action<AcceleratorStream, KernelConfig, ArrayView<int>, ArrayView<double>, ArrayView<float>, ArrayView<float>, BatchNormShape> BatchNormUpdateRunning { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormShape> BatchNormBackward { get; private set; } = null!;

    public Action<AcceleratorStream, KernelConfig, ArrayView<double>, ArrayView<float>, ArrayView<float>, BatchNormShape> BatchNormParameterGradients { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape> Gemm { get; private set; } = null!;

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3> Load<T1, T2, T3>(Action<T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct
    {
        var id = Count;
        var launch = Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));
        return (stream, config, a1, a2, a3) =>
        {
            launch(stream, config, a1, a2, a3);
            Counted(stream, id);
        };
    }

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4> Load<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct
    {
        var id = Count;
        var launch = Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));
        return (stream, config, a1, a2, a3, a4) =>
        {
            launch(stream, config, a1, a2, a3, a4);
            Counted(stream, id);
        };
    }

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5> Load<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct
    {
        var id = Count;
        var launch = Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));
        return (stream, config, a1, a2, a3, a4, a5) =>
        {
            launch(stream, config, a1, a2, a3, a4, a5);
            Counted(stream, id);
        };
    }

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6> Load<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
    {
        var id = Count;
        var launch = Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));
        return (stream, config, a1, a2, a3, a4, a5, a6) =>
        {
            launch(stream, config, a1, a2, a3, a4, a5, a6);
            Counted(stream, id);
        };
    }

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7> Load<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct
    {
        var id = Count;
        var launch = Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));
        return (stream, config, a1, a2, a3, a4, a5, a6, a7) =>
        {
            launch(stream, config, a1, a2, a3, a4, a5, a6, a7);
            Counted(stream, id);
        };
    }

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> Load<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct
    {
        var id = Count;
        var launch = Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));
        return (stream, config, a1, a2, a3, a4, a5, a6, a7, a8) =>
        {
            launch(stream, config, a1, a2, a3, a4, a5, a6, a7, a8);
            Counted(stream, id);
        };
    }

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct
    {
        var id = Count;
        var launch = Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));
        return (stream, config, a1, a2, a3, a4, a5, a6, a7, a8, a9) =>
        {
            launch(stream, config, a1, a2, a3, a4, a5, a6, a7, a8, a9);
            Counted(stream, id);
        };
    }

    /// <summary>The kernels with shared memory, specialised for the accelerator's compile-time group shape.</summary>
    private void LoadShaped<TShape>()
        where TShape : struct, IKernelShape
    {
        AcrObjective = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ReductionKernels.AcrObjective<TShape>);
        BatchNormForward = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormShape>(BatchNormKernels.Forward<TShape>);
        BatchNormBackward = Load<ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormShape>(BatchNormKernels.Backward<TShape>);
        Gemm = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>(GemmKernels.Gemm<TShape>);
        GemmLarge = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>(GemmKernels.GemmLarge<TShape>);
    }

    /// <summary>Starts counting the launches enqueued on <paramref name="stream"/> (under the device lock).</summary>
    public void Attach(AcceleratorStream stream) => _launches[stream] = new long[_names.Count];

    /// <summary>Stops counting for <paramref name="stream"/> (under the device lock).</summary>
    public void Detach(AcceleratorStream stream) => _launches.Remove(stream);

    /// <summary>The launches enqueued on <paramref name="stream"/> so far, by kernel name (under the device lock).</summary>
    public IReadOnlyDictionary<string, long> LaunchesOn(AcceleratorStream stream)
    {
        var counts = _launches[stream];
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0)
            {
                result[_names[i]] = counts[i];
            }
        }

        return result;
    }

    /// <summary>The total of <see cref="LaunchesOn"/>.</summary>
    public long TotalLaunchesOn(AcceleratorStream stream) => _launches[stream].Sum();

    private void Counted(AcceleratorStream stream, int kernel)
    {
        if (_launches.TryGetValue(stream, out var counts))
        {
            counts[kernel]++;
        }
    }

    private TLauncher Compile<TLauncher>(MethodInfo kernel, Func<TLauncher> load)
    {
        try
        {
            var launcher = load();
            _names.Add($"{kernel.DeclaringType?.Name.Replace("Kernels", string.Empty, StringComparison.Ordinal)}.{kernel.Name}");
            Count++;
            return launcher;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not GpuKernelCompilationException)
        {
            throw new GpuKernelCompilationException($"ILGPU could not compile kernel {kernel.DeclaringType?.Name}.{kernel.Name} for {Accelerator.Name} ({Accelerator.AcceleratorType}): {e.Message}", e);
        }
    }
}
