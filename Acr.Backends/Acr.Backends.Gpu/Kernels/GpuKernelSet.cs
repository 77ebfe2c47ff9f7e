using System.Reflection;

namespace Acr.Backends.Gpu.Kernels;

/// <summary>
/// Every ILGPU kernel of the backend, loaded (compiled for the accelerator) once, when a device is opened, so no launch
/// compiles. The fields are ILGPU's launchers: <c>(stream, config, arguments…)</c>, enqueued on the stream given.
/// A kernel ILGPU cannot compile fails the device's opening with <see cref="GpuKernelCompilationException"/>, naming it.
/// </summary>
internal sealed class GpuKernelSet
{
    public GpuKernelSet(Accelerator accelerator)
    {
        Accelerator = accelerator;
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
        AcrObjective = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ReductionKernels.AcrObjective);
        ScatterAddRows = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int>(ReductionKernels.ScatterAddRows);
        GroupMean = Load<ArrayView<float>, ArrayView<float>, int, int, int>(ReductionKernels.GroupMean);
        SegmentSum = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int>(ReductionKernels.SegmentSum);
        RowLogSumExp = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(ReductionKernels.RowLogSumExp);
        RowL2Normalize = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(ReductionKernels.RowL2Normalize);
        RowL2NormalizeBackward = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int>(ReductionKernels.RowL2NormalizeBackward);
        BatchNormForward = Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormShape>(BatchNormKernels.Forward);
        BatchNormUpdateRunning = Load<ArrayView<int>, ArrayView<double>, ArrayView<float>, ArrayView<float>, BatchNormShape>(BatchNormKernels.UpdateRunning);
        BatchNormBackward = Load<ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormShape>(BatchNormKernels.Backward);
        BatchNormParameterGradients = Load<ArrayView<double>, ArrayView<float>, ArrayView<float>, BatchNormShape>(BatchNormKernels.ParameterGradients);
        Gemm = Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>(GemmKernels.Gemm);
    }

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

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> AcrObjective { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int> ScatterAddRows { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> GroupMean { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int> SegmentSum { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> RowLogSumExp { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> RowL2Normalize { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int> RowL2NormalizeBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormShape> BatchNormForward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<int>, ArrayView<double>, ArrayView<float>, ArrayView<float>, BatchNormShape> BatchNormUpdateRunning { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormShape> BatchNormBackward { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<double>, ArrayView<float>, ArrayView<float>, BatchNormShape> BatchNormParameterGradients { get; }

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape> Gemm { get; }

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3> Load<T1, T2, T3>(Action<T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct =>
        Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4> Load<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5> Load<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6> Load<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7> Load<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct =>
        Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> Load<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct =>
        Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));

    private Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct =>
        Compile(kernel.Method, () => Accelerator.LoadKernel(kernel));

    private TLauncher Compile<TLauncher>(MethodInfo kernel, Func<TLauncher> load)
    {
        try
        {
            var launcher = load();
            Count++;
            return launcher;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not GpuKernelCompilationException)
        {
            throw new GpuKernelCompilationException($"ILGPU could not compile kernel {kernel.DeclaringType?.Name}.{kernel.Name} for {Accelerator.Name} ({Accelerator.AcceleratorType}): {e.Message}", e);
        }
    }
}
