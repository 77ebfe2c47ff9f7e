using Acr.Backends.Gpu.Devices;

namespace Acr.Backends.Gpu;

/// <summary>A GPU kernel as <see cref="GpuBackend"/> discovers it: something that registers itself for its op.</summary>
internal interface IGpuKernel
{
    /// <summary>Adds this kernel to its backend's kernel table.</summary>
    void Register();
}

/// <summary>
/// The GPU kernel of one op: <see cref="Execute"/> enqueues ILGPU kernels on the backend's stream, under the device
/// lock, on validated arguments, and returns without waiting. One subclass per op, in <c>Ops/</c>, with a constructor
/// taking the backend; the backend finds them by reflection.
/// </summary>
/// <typeparam name="TArgs">The op's arguments.</typeparam>
/// <param name="backend">The backend this kernel instance serves.</param>
/// <param name="op">The op it implements.</param>
internal abstract class GpuKernel<TArgs>(GpuBackend backend, ComputeOp<TArgs> op) : IKernel<TArgs>, IGpuKernel
    where TArgs : struct
{
    /// <summary>The backend.</summary>
    protected GpuBackend Backend { get; } = backend;

    /// <summary>The compiled kernels.</summary>
    protected GpuKernelSet Kernels => Backend.Kernels;

    /// <summary>Launch sizes for the accelerator.</summary>
    protected LaunchGeometry Geometry => Backend.Geometry;

    /// <summary>The backend's stream.</summary>
    protected AcceleratorStream Stream => Backend.Stream;

    /// <inheritdoc />
    public void Register() => Backend.AddKernel(op, this);

    /// <inheritdoc />
    public void Run(in TArgs args)
    {
        lock (Backend.Sync)
        {
            Backend.EnsureUsable();
            Execute(args);
        }
    }

    /// <summary>Enqueues the op; the arguments are validated and the device lock is held.</summary>
    /// <param name="args">The arguments.</param>
    protected abstract void Execute(in TArgs args);

    /// <summary>The floats of a tensor.</summary>
    protected static ArrayView<float> F(Tensor tensor) => GpuBackend.Floats(tensor);

    /// <summary>The integers of an Int32 tensor.</summary>
    protected static ArrayView<int> I(Tensor tensor) => GpuBackend.Ints(tensor);

    /// <summary>0 or 1 for a kernel flag.</summary>
    protected static int Flag(bool value) => value ? 1 : 0;
}
