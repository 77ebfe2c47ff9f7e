using System.Reflection;
using Acr.Backends.Gpu.Devices;
using Acr.Backends.Gpu.Memory;
using ILGPU.Runtime.Cuda;

namespace Acr.Backends.Gpu;

/// <summary>
/// The compute contract on one ILGPU accelerator (CUDA, OpenCL or ILGPU's CPU simulator) and one stream of its own.
/// Every op has a kernel (one file per op under <c>Ops/</c>, found by reflection) that enqueues ILGPU kernels on the
/// stream, compiled once per process when the device is first opened. Only downloads and <see cref="ComputeBackend.Synchronize"/>
/// wait for the device.
/// </summary>
/// <remarks>
/// <para>Memory: device buffers come from a pool bucketed by capacity (a steady loop allocates nothing); a released
/// buffer is reused by work queued later on the same in-order stream, so a release from any thread is ordered after the
/// work queued before it. Buffers go back to the driver only when the backend is disposed (after the stream drained),
/// or when an allocation fails, before it is retried; a failure after that is a <see cref="GpuOutOfMemoryException"/>.</para>
/// <para>Uploads copy the caller's span into page-locked staging memory and enqueue the copy, so the span is free on
/// return. Calls from several threads are serialised (one lock per device); tensors may be disposed after the backend.</para>
/// </remarks>
public sealed class GpuBackend : ComputeBackend
{
    private static readonly Lazy<Func<GpuBackend, IGpuKernel>[]> KernelFactories = new(DiscoverKernels);

    private readonly GpuDevice _device;
    private readonly DeviceMemoryPool _pool = new();
    private readonly UploadStaging _staging;
    private readonly bool _poison;
    private readonly long? _memoryLimit;

    internal GpuBackend(GpuDevice device, bool poisonAllocations, long? memoryLimitBytes)
    {
        _device = device;
        _poison = poisonAllocations;
        _memoryLimit = memoryLimitBytes;
        lock (device.Sync)
        {
            device.Bind();
            Stream = device.Accelerator.CreateStream();
            device.Kernels.Attach(Stream);
        }

        _staging = new UploadStaging(device.Accelerator);
        foreach (var factory in KernelFactories.Value)
        {
            factory(this).Register();
        }
    }

    /// <inheritdoc />
    public override string Name => _device.Platform.BackendName;

    /// <inheritdoc />
    public override DeviceDescriptor Device => _device.Descriptor;

    /// <summary>How long loading and compiling every kernel took when this backend's device was opened (once per process).</summary>
    public TimeSpan KernelCompileTime => _device.CompileTime;

    /// <summary>Device memory this backend holds from the driver (in use and pooled), in bytes.</summary>
    public long PooledBytes
    {
        get
        {
            lock (_device.Sync)
            {
                return _pool.AllocatedBytes;
            }
        }
    }

    /// <summary>How many allocations this backend has asked the driver for (a steady loop adds none).</summary>
    public int DriverAllocations
    {
        get
        {
            lock (_device.Sync)
            {
                return _pool.DriverAllocations;
            }
        }
    }

    /// <summary>
    /// How many kernel launches this backend has enqueued on its stream (every op, fill and poison fill; copies and
    /// uploads are not launches). The difference across a training step is its launch count.
    /// </summary>
    public long KernelLaunches
    {
        get
        {
            lock (_device.Sync)
            {
                ThrowIfDisposed();
                return Kernels.TotalLaunchesOn(Stream);
            }
        }
    }

    /// <summary>The launches of <see cref="KernelLaunches"/> by kernel (<c>Class.Method</c> of the ILGPU kernel), sorted by name.</summary>
    public IReadOnlyDictionary<string, long> LaunchesByKernel
    {
        get
        {
            lock (_device.Sync)
            {
                ThrowIfDisposed();
                return Kernels.LaunchesOn(Stream);
            }
        }
    }

    /// <summary>The stream every op of this backend is enqueued on.</summary>
    internal AcceleratorStream Stream { get; }

    /// <summary>The compiled kernels.</summary>
    internal GpuKernelSet Kernels => _device.Kernels;

    /// <summary>Launch sizes for this accelerator.</summary>
    internal LaunchGeometry Geometry => _device.Geometry;

    /// <summary>Held while work is enqueued (shared by every backend on the device).</summary>
    internal Lock Sync => _device.Sync;

    /// <summary>The floats of a tensor (validated by its op).</summary>
    internal static ArrayView<float> Floats(Tensor tensor) => ((GpuBuffer)tensor.Buffer).Floats(tensor.Length);

    /// <summary>The integers of an Int32 tensor (validated by its op).</summary>
    internal static ArrayView<int> Ints(Tensor tensor) => ((GpuBuffer)tensor.Buffer).Floats(tensor.Length).Cast<int>();

    /// <summary>Throws after disposal and makes the device current; called by kernels under <see cref="Sync"/>.</summary>
    internal void EnsureUsable()
    {
        ThrowIfDisposed();
        _device.Bind();
    }

    /// <summary>A scratch buffer of at least <paramref name="elements"/> 4-byte elements from the pool (under <see cref="Sync"/>).</summary>
    internal GpuBuffer RentScratch(int elements) => (GpuBuffer)AllocateCore(elements);

    /// <summary>Returns a scratch buffer once the work using it is queued (the stream orders its reuse).</summary>
    internal void ReturnScratch(GpuBuffer buffer) => _pool.Return(buffer);

    /// <inheritdoc />
    protected override void RunReferenceOnHost<TArgs>(ComputeOp<TArgs> op, in TArgs args)
    {
        lock (_device.Sync)
        {
            ThrowIfDisposed();
            base.RunReferenceOnHost(op, args);
        }
    }

    /// <inheritdoc />
    /// <remarks>A kernel from outside this assembly runs under the device lock, in order with the backend's own work.</remarks>
    protected override IKernel<TArgs> AdaptKernel<TArgs>(ComputeOp<TArgs> op, IKernel<TArgs> kernel) =>
        kernel is IGpuKernel ? kernel : new LockedKernel<TArgs>(this, kernel);

    // ---------------------------------------------------------------- memory

    /// <inheritdoc />
    protected override DeviceBuffer AllocateCore(int elements)
    {
        lock (_device.Sync)
        {
            ThrowIfDisposed();
            _device.Bind();
            var capacity = DeviceMemoryPool.Bucket(elements);
            var buffer = _pool.TryRent(capacity) ?? AllocateFromDriver(capacity);
            if (_poison)
            {
                FillCore(buffer, buffer.Capacity, BitConverter.SingleToUInt32Bits(float.NaN));
            }

            return buffer;
        }
    }

    /// <inheritdoc />
    protected override void ReleaseCore(DeviceBuffer buffer)
    {
        lock (_device.Sync)
        {
            _pool.Return((GpuBuffer)buffer);
        }
    }

    /// <inheritdoc />
    protected override unsafe void UploadCore(ReadOnlySpan<byte> source, DeviceBuffer destination)
    {
        lock (_device.Sync)
        {
            ThrowIfDisposed();
            if (source.IsEmpty)
            {
                return;
            }

            _device.Bind();
            var target = ((GpuBuffer)destination).Floats(destination.Capacity).Cast<byte>().SubView(0, source.Length);
            var staged = _staging.TryStage(source);
            if (staged == null)
            {
                Drain();
                staged = _staging.TryStage(source);
            }

            if (staged == null)
            {
                // Larger than all staging memory: copy straight from the caller's span and wait.
                target.CopyFromCPU(Stream, source);
                Stream.Synchronize();
                return;
            }

            target.CopyFromCPUUnsafeAsync(Stream, ref *staged, source.Length);
        }
    }

    /// <inheritdoc />
    protected override void DownloadCore(DeviceBuffer source, Span<byte> destination)
    {
        lock (_device.Sync)
        {
            ThrowIfDisposed();
            _device.Bind();
            Drain();
            if (destination.IsEmpty)
            {
                return;
            }

            var view = ((GpuBuffer)source).Floats(source.Capacity).Cast<byte>().SubView(0, destination.Length);
            view.CopyToCPU(Stream, destination);
            Stream.Synchronize();
        }
    }

    /// <inheritdoc />
    protected override void FillCore(DeviceBuffer buffer, int count, uint bits)
    {
        lock (_device.Sync)
        {
            ThrowIfDisposed();
            if (count == 0)
            {
                return;
            }

            _device.Bind();
            Kernels.Fill(Stream, Geometry.Linear(count), ((GpuBuffer)buffer).Floats(count).Cast<int>(), count, unchecked((int)bits));
        }
    }

    /// <inheritdoc />
    protected override void CopyCore(DeviceBuffer source, int sourceOffset, DeviceBuffer destination, int destinationOffset, int count)
    {
        lock (_device.Sync)
        {
            ThrowIfDisposed();
            _device.Bind();
            var from = ((GpuBuffer)source).Floats(source.Capacity).SubView(sourceOffset, count);
            var to = ((GpuBuffer)destination).Floats(destination.Capacity).SubView(destinationOffset, count);
            from.CopyTo(Stream, to);
        }
    }

    /// <inheritdoc />
    protected override void SynchronizeCore()
    {
        lock (_device.Sync)
        {
            _device.Bind();
            Drain();
        }
    }

    /// <inheritdoc />
    protected override bool Owns(DeviceBuffer buffer) => buffer is GpuBuffer gpu && ReferenceEquals(gpu.Owner, this);

    /// <summary>Drains the stream, then frees every buffer (pooled or still held by a tensor), the staging memory and the stream.</summary>
    protected override void Dispose(bool disposing)
    {
        lock (_device.Sync)
        {
            try
            {
                _device.Bind();
                Stream.Synchronize();
            }
            finally
            {
                _device.Account(-_pool.Close());
                _staging.Dispose();
                Kernels.Detach(Stream);
                Stream.Dispose();
            }
        }
    }

    /// <summary>Waits for the stream; staging memory is free again afterwards.</summary>
    private void Drain()
    {
        Stream.Synchronize();
        _staging.Recycle();
    }

    private GpuBuffer AllocateFromDriver(int capacity)
    {
        var bytes = capacity * 4L;
        if (_memoryLimit is { } limit && _pool.AllocatedBytes + bytes > limit)
        {
            Drain();
            _device.Account(-_pool.Trim());
            if (_pool.AllocatedBytes + bytes > limit)
            {
                throw new GpuOutOfMemoryException(DeviceLabel(), bytes, Math.Max(0, limit - _pool.AllocatedBytes), null);
            }
        }

        MemoryBuffer1D<float, Stride1D.Dense> memory;
        try
        {
            memory = _device.Accelerator.Allocate1D<float>(capacity);
        }
        catch (Exception first) when (IsOutOfMemory(first))
        {
            // Give the cached buffers back to the driver and try once more.
            Drain();
            _device.Account(-_pool.Trim());
            try
            {
                memory = _device.Accelerator.Allocate1D<float>(capacity);
            }
            catch (Exception second) when (IsOutOfMemory(second))
            {
                throw new GpuOutOfMemoryException(DeviceLabel(), bytes, FreeDeviceBytes(), second);
            }
        }

        var buffer = new GpuBuffer(this, memory);
        _pool.Add(buffer);
        _device.Account(bytes);
        return buffer;
    }

    private string DeviceLabel() => $"{Device.Id} ({Device.Name})";

    private long FreeDeviceBytes()
    {
        if (_device.Accelerator is CudaAccelerator && CudaAPI.CurrentAPI.GetMemoryInfo(out long free, out long _) == CudaError.CUDA_SUCCESS)
        {
            return free;
        }

        return Math.Max(0, _device.Accelerator.MemorySize - _device.AllocatedBytes);
    }

    private static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException
        || (e is AcceleratorException && (e.Message.Contains("MEMORY", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("RESOURCES", StringComparison.OrdinalIgnoreCase)
            || e.Message.Contains("ALLOCATION", StringComparison.OrdinalIgnoreCase)));

    /// <summary>Every concrete <see cref="GpuKernel{TArgs}"/> of this assembly, as a factory taking the backend.</summary>
    private static Func<GpuBackend, IGpuKernel>[] DiscoverKernels() =>
        typeof(GpuBackend).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true } && typeof(IGpuKernel).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t =>
            {
                var ctor = t.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, [typeof(GpuBackend)])
                    ?? throw new InvalidOperationException($"GPU kernel {t.Name} needs a constructor taking the GpuBackend.");
                return (Func<GpuBackend, IGpuKernel>)(backend => (IGpuKernel)ctor.Invoke([backend]));
            })
            .ToArray();

    /// <summary>A foreign kernel run under the device lock.</summary>
    private sealed class LockedKernel<TArgs>(GpuBackend backend, IKernel<TArgs> inner) : IKernel<TArgs>
        where TArgs : struct
    {
        public void Run(in TArgs args)
        {
            lock (backend.Sync)
            {
                backend.EnsureUsable();
                inner.Run(args);
            }
        }
    }
}
