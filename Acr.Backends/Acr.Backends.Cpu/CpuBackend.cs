using System.Reflection;
using System.Runtime.Intrinsics.X86;
using Acr.Backends.Cpu.Kernels.Gemm;

namespace Acr.Backends.Cpu;

/// <summary>
/// The pure C# CPU backend: SIMD kernels (Vector512 where the hardware accelerates it, else Vector256, else
/// scalar), a cache-blocked multithreaded GEMM and a pool of 64-byte-aligned buffers. Kernels run on the
/// calling thread plus a persistent team of workers; every result is bit-identical for any thread count.
/// Each op's kernel sits in its own file under <c>Ops/</c> and is found by reflection (<see cref="CpuKernel{TArgs}"/>).
/// </summary>
/// <remarks>
/// Calls may come from any thread; kernels of one backend run one at a time (a lock), so work is executed in
/// call order and a tensor released from another thread waits for the kernel in flight. Tensors may be
/// disposed after the backend itself was disposed.
/// </remarks>
public sealed class CpuBackend : ComputeBackend
{
    private static readonly Lazy<Func<CpuBackend, ICpuKernel>[]> KernelFactories = new(DiscoverKernels);

    private readonly BufferPool _buffers = new();
    private readonly bool _poisonAllocations;

    /// <summary>Creates a backend that uses every logical core.</summary>
    public CpuBackend()
        : this(Environment.ProcessorCount)
    {
    }

    /// <summary>Creates a backend with <paramref name="threads"/> threads (the calling thread included).</summary>
    /// <param name="threads">Number of threads, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public CpuBackend(int threads)
        : this(threads, GemmKernel.Auto, poisonAllocations: false)
    {
    }

    /// <summary>Creates a backend with a forced GEMM micro-kernel and optionally NaN-filled allocations (tests and benchmarks).</summary>
    internal CpuBackend(int threads, GemmKernel gemmKernel, bool poisonAllocations = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ActiveGemmKernel = gemmKernel == GemmKernel.Auto ? BestGemmKernel() : gemmKernel;
        _poisonAllocations = poisonAllocations;
        Pool = new WorkerPool(threads);
        Device = CpuBackendProvider.DescribeDevice();
        foreach (var factory in KernelFactories.Value)
        {
            factory(this).Register();
        }
    }

    /// <summary>The GEMM micro-kernels this backend can run.</summary>
    internal enum GemmKernel
    {
        /// <summary>The widest the hardware accelerates.</summary>
        Auto,

        /// <summary>8×32 tiles of Vector512 fused multiply-adds.</summary>
        Vector512,

        /// <summary>6×16 tiles of Vector256 fused multiply-adds.</summary>
        Vector256,

        /// <summary>4×4 scalar tiles.</summary>
        Scalar,
    }

    /// <inheritdoc />
    public override string Name => "cpu";

    /// <inheritdoc />
    public override DeviceDescriptor Device { get; }

    /// <inheritdoc />
    public override bool IsHostMemory => true;

    /// <summary>Number of threads kernels use (the calling thread included).</summary>
    public int Threads => Pool.Threads;

    /// <summary>The GEMM micro-kernel in use.</summary>
    internal GemmKernel ActiveGemmKernel { get; }

    /// <summary>The worker team.</summary>
    internal WorkerPool Pool { get; }

    /// <summary>Held while a kernel runs: kernels of one backend run one at a time.</summary>
    internal Lock KernelLock { get; } = new();

    /// <summary>GEMM pack buffers.</summary>
    internal GemmWorkspace GemmWorkspace { get; } = new();

    /// <summary>The default <see cref="ConvolutionColumnBudget"/>: 4 Mi floats, a 16 MiB im2col column matrix.</summary>
    internal const int DefaultConvolutionColumnBudget = 1 << 22;

    /// <summary>
    /// Most floats of one im2col column matrix (Cin·KH·KW × columns) the convolution kernels build at a time; the batch's output
    /// positions are processed in chunks that fit (at least one column per chunk). Tests shrink it to exercise the chunking.
    /// </summary>
    internal int ConvolutionColumnBudget { get; init; } = DefaultConvolutionColumnBudget;

    /// <summary>How the convolution forward pass is computed (the backward passes always use im2col + GEMM).</summary>
    internal ConvolutionAlgorithm Convolution { get; init; } = ConvolutionAlgorithm.Im2colGemm;

    /// <summary>The convolution forward algorithms (benchmarks compare them; im2col + GEMM is the measured faster default).</summary>
    internal enum ConvolutionAlgorithm
    {
        /// <summary>im2col in bounded chunks, then the blocked GEMM.</summary>
        Im2colGemm,

        /// <summary>Direct loops, one task per output plane.</summary>
        Direct,
    }

    /// <summary>Per-call double scratch (used under <see cref="KernelLock"/>).</summary>
    internal AlignedArray<double> DoubleScratch { get; } = new();

    /// <summary>Per-call float scratch (used under <see cref="KernelLock"/>).</summary>
    internal AlignedArray<float> FloatScratch { get; } = new();

    /// <summary>Per-call integer scratch (used under <see cref="KernelLock"/>).</summary>
    internal AlignedArray<int> IntScratch { get; } = new();

    /// <summary>The pointer to a tensor's first element (the tensor was validated by its op).</summary>
    internal static unsafe float* Pointer(Tensor tensor) => ((CpuBuffer)tensor.Buffer).Pointer;

    /// <summary>The pointer to an Int32 tensor's first element.</summary>
    internal static unsafe int* IntPointer(Tensor tensor) => (int*)((CpuBuffer)tensor.Buffer).Pointer;

    /// <summary>Throws after disposal; called by kernels under <see cref="KernelLock"/>.</summary>
    internal void EnsureUsable() => ThrowIfDisposed();

    /// <inheritdoc />
    protected override void RunReferenceOnHost<TArgs>(ComputeOp<TArgs> op, in TArgs args)
    {
        lock (KernelLock)
        {
            ThrowIfDisposed();
            base.RunReferenceOnHost(op, args);
        }
    }

    /// <inheritdoc />
    /// <remarks>A kernel from outside this assembly (a plugin's, written on <see cref="ComputeBackend.HostFloats"/>) runs under the kernel lock, like the backend's own.</remarks>
    protected override IKernel<TArgs> AdaptKernel<TArgs>(ComputeOp<TArgs> op, IKernel<TArgs> kernel) =>
        kernel is ICpuKernel ? kernel : new LockedKernel<TArgs>(this, kernel);

    // ---------------------------------------------------------------- memory

    /// <inheritdoc />
    protected override DeviceBuffer AllocateCore(int elements)
    {
        var buffer = _buffers.TryRent(elements) ?? new CpuBuffer(this, elements);
        if (_poisonAllocations)
        {
            buffer.Span.Fill(float.NaN);
        }

        return buffer;
    }

    /// <inheritdoc />
    /// <remarks>Waits for the kernel in flight (the kernel lock), so a buffer disposed on another thread is never reused under a running kernel.</remarks>
    protected override void ReleaseCore(DeviceBuffer buffer)
    {
        lock (KernelLock)
        {
            _buffers.Return((CpuBuffer)buffer);
        }
    }

    /// <inheritdoc />
    protected override void UploadCore(ReadOnlySpan<byte> source, DeviceBuffer destination)
    {
        lock (KernelLock)
        {
            ThrowIfDisposed();
            source.CopyTo(((CpuBuffer)destination).Bytes);
        }
    }

    /// <inheritdoc />
    protected override void DownloadCore(DeviceBuffer source, Span<byte> destination)
    {
        lock (KernelLock)
        {
            ThrowIfDisposed();
            ((CpuBuffer)source).Bytes[..destination.Length].CopyTo(destination);
        }
    }

    /// <inheritdoc />
    protected override void FillCore(DeviceBuffer buffer, int count, uint bits)
    {
        lock (KernelLock)
        {
            ThrowIfDisposed();
            System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(((CpuBuffer)buffer).Span[..count]).Fill(bits);
        }
    }

    /// <inheritdoc />
    protected override void CopyCore(DeviceBuffer source, int sourceOffset, DeviceBuffer destination, int destinationOffset, int count)
    {
        lock (KernelLock)
        {
            ThrowIfDisposed();
            ((CpuBuffer)source).Span.Slice(sourceOffset, count).CopyTo(((CpuBuffer)destination).Span.Slice(destinationOffset, count));
        }
    }

    /// <inheritdoc />
    protected override void SynchronizeCore()
    {
    }

    /// <inheritdoc />
    protected override Span<byte> HostMemoryCore(DeviceBuffer buffer) => ((CpuBuffer)buffer).Bytes;

    /// <inheritdoc />
    protected override bool Owns(DeviceBuffer buffer) => buffer is CpuBuffer cpu && ReferenceEquals(cpu.Owner, this);

    /// <summary>Stops the worker threads and drops the pooled buffers.</summary>
    protected override void Dispose(bool disposing)
    {
        lock (KernelLock)
        {
            Pool.Dispose();
            _buffers.Close();
        }
    }

    /// <summary>A foreign kernel run under the kernel lock.</summary>
    private sealed class LockedKernel<TArgs>(CpuBackend backend, IKernel<TArgs> inner) : IKernel<TArgs>
        where TArgs : struct
    {
        public void Run(in TArgs args)
        {
            lock (backend.KernelLock)
            {
                backend.EnsureUsable();
                inner.Run(args);
            }
        }
    }

    private static GemmKernel BestGemmKernel() =>
        Vector512.IsHardwareAccelerated ? GemmKernel.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? GemmKernel.Vector256
        : GemmKernel.Scalar;

    /// <summary>Every concrete <see cref="CpuKernel{TArgs}"/> of this assembly, as a factory taking the backend.</summary>
    private static Func<CpuBackend, ICpuKernel>[] DiscoverKernels() =>
        typeof(CpuBackend).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true } && typeof(ICpuKernel).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t =>
            {
                var ctor = t.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, [typeof(CpuBackend)])
                    ?? throw new InvalidOperationException($"CPU kernel {t.Name} needs a constructor taking the CpuBackend.");
                return (Func<CpuBackend, ICpuKernel>)(backend => (ICpuKernel)ctor.Invoke([backend]));
            })
            .ToArray();
}
