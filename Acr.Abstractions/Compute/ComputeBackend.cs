using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Acr.Compute;

/// <summary>
/// The compute contract every backend implements, as one abstract base: public methods check their
/// arguments once (shapes, aliasing, segment rules, ownership) and then call a protected <c>…Core</c>
/// method or a registered kernel, so no backend re-validates and every rule lives in one place.
/// Memory is handled here; every other operation is a <see cref="ComputeOp{TArgs}"/> run with
/// <see cref="Run{TArgs}"/> (the typed entry points such as <c>backend.Gemm(...)</c> are extension members
/// defined next to each op).
/// </summary>
/// <remarks>
/// <para><b>Stream semantics.</b> A backend may be asynchronous (a GPU stream): every method enqueues its
/// work in call order and may return before the work has run. Only <see cref="Download(Tensor, Span{float})"/>
/// and <see cref="Synchronize"/> wait. The contract a caller may rely on, and an asynchronous backend must honour:</para>
/// <list type="bullet">
/// <item><see cref="Upload(ReadOnlySpan{float}, Tensor)"/> has consumed its source when it returns (the backend
/// copies it, e.g. into a pooled page-locked staging buffer), so the caller may reuse the span at once.</item>
/// <item>Disposing a tensor or a <see cref="BatchSegments"/> may happen on any thread; the memory is reused only
/// after the work queued before the dispose has finished. Using it in work queued afterwards is an error.</item>
/// <item><see cref="Allocate"/> makes no promise about the contents: write them (e.g. with <see cref="Fill(Tensor, float)"/>) before reading.</item>
/// <item>Results are bit-identical from call to call for fixed inputs and shapes, whatever the number of threads.</item>
/// </list>
/// <para><b>Kernels.</b> A backend registers a kernel per op it implements (<see cref="AddKernel{TArgs}"/>);
/// plugins may add kernels for their own ops. An op without a kernel runs its scalar reference on the host
/// (downloading its inputs and uploading its outputs) unless the backend or the op refuses that
/// (<see cref="MissingKernelPolicy"/>, <see cref="ComputeOp.AllowsHostFallback"/>); then it throws
/// <see cref="NotSupportedException"/> naming the op and the backend.</para>
/// <para><b>Threads.</b> Calls may come from any thread; a backend runs them one at a time, in call order.</para>
/// </remarks>
public abstract class ComputeBackend : IDisposable
{
    private readonly Lock _kernelTableLock = new();
    private object?[] _kernels = [];
    private int _disposed;

    /// <summary>Short name of the backend, e.g. <c>cpu</c>, <c>cuda</c>, <c>reference</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The device this backend instance runs on.</summary>
    public abstract DeviceDescriptor Device { get; }

    /// <summary>Whether <see cref="Dispose()"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Whether tensor memory is ordinary host memory that host code may address directly (CPU-like
    /// backends): then <see cref="HostFloats"/> and <see cref="HostInt32s"/> give spans over it, and ops
    /// without a kernel run their reference in place, without copies.
    /// </summary>
    public virtual bool IsHostMemory => false;

    /// <summary>What this backend does with an op it has no kernel for.</summary>
    public virtual MissingKernelPolicy MissingKernelPolicy => MissingKernelPolicy.RunReferenceOnHost;

    // ---------------------------------------------------------------- memory

    /// <summary>Allocates a tensor from the backend's pool. Its contents are unspecified: write them before reading.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dataType">The element type.</param>
    /// <exception cref="ObjectDisposedException">The backend was disposed.</exception>
    public Tensor Allocate(TensorShape shape, DataType dataType = DataType.Float32)
    {
        ThrowIfDisposed();
        if (dataType is not (DataType.Float32 or DataType.Int32))
        {
            throw new ArgumentOutOfRangeException(nameof(dataType), dataType, "Unknown element type; tensors hold Float32 or Int32.");
        }

        var buffer = AllocateCore(shape.Length);
        if (buffer is null || buffer.Capacity < shape.Length)
        {
            throw new InvalidOperationException($"Backend '{Name}' returned a buffer of {buffer?.Capacity ?? 0} elements for a tensor of shape {shape}.");
        }

        return new Tensor(this, buffer, shape, dataType);
    }

    /// <summary>
    /// The same memory under another shape of equal length (a reshape without a copy). The view is valid only while
    /// <paramref name="tensor"/> is; disposing the view releases nothing. Ops see a view and its tensor as aliases.
    /// </summary>
    /// <param name="tensor">The tensor to view.</param>
    /// <param name="shape">The view's shape; its length must equal the tensor's.</param>
    /// <exception cref="ArgumentException">The lengths differ, or the tensor belongs to another backend.</exception>
    public Tensor View(Tensor tensor, TensorShape shape)
    {
        var check = new OpValidator(this, nameof(View));
        check.Owned(tensor, nameof(tensor));
        if (shape.Length != tensor.Length)
        {
            check.Fail($"a view of shape {shape} has {shape.Length} elements but the tensor (shape {tensor.Shape}) has {tensor.Length}; a view keeps the length.", nameof(shape));
        }

        return new Tensor(this, tensor.Buffer, shape, tensor.DataType, ownsBuffer: false);
    }

    /// <summary>Copies host values into a <see cref="DataType.Float32"/> tensor. The span may be reused as soon as this returns.</summary>
    /// <param name="source">Exactly <c>destination.Length</c> values.</param>
    /// <param name="destination">The tensor to write.</param>
    /// <exception cref="ArgumentException">Lengths differ, the tensor holds integers, or it belongs to another backend.</exception>
    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        var check = new OpValidator(this, nameof(Upload));
        check.Floats(destination, nameof(destination));
        check.HostLength(source.Length, destination, nameof(source));
        UploadCore(MemoryMarshal.AsBytes(source), destination.Buffer);
    }

    /// <summary>Copies host integers into a <see cref="DataType.Int32"/> tensor. The span may be reused as soon as this returns.</summary>
    /// <param name="source">Exactly <c>destination.Length</c> values.</param>
    /// <param name="destination">The tensor to write.</param>
    /// <exception cref="ArgumentException">Lengths differ, the tensor holds floats, or it belongs to another backend.</exception>
    public void Upload(ReadOnlySpan<int> source, Tensor destination)
    {
        var check = new OpValidator(this, nameof(Upload));
        check.Indices(destination, nameof(destination));
        check.HostLength(source.Length, destination, nameof(source));
        UploadCore(MemoryMarshal.AsBytes(source), destination.Buffer);
    }

    /// <summary>Waits for the work queued before, then copies a <see cref="DataType.Float32"/> tensor to the host.</summary>
    /// <param name="source">The tensor to read.</param>
    /// <param name="destination">Exactly <c>source.Length</c> values.</param>
    /// <exception cref="ArgumentException">Lengths differ, the tensor holds integers, or it belongs to another backend.</exception>
    public void Download(Tensor source, Span<float> destination)
    {
        var check = new OpValidator(this, nameof(Download));
        check.Floats(source, nameof(source));
        check.HostLength(destination.Length, source, nameof(destination));
        DownloadCore(source.Buffer, MemoryMarshal.AsBytes(destination));
    }

    /// <summary>Waits for the work queued before, then copies a <see cref="DataType.Int32"/> tensor to the host.</summary>
    /// <param name="source">The tensor to read.</param>
    /// <param name="destination">Exactly <c>source.Length</c> values.</param>
    /// <exception cref="ArgumentException">Lengths differ, the tensor holds floats, or it belongs to another backend.</exception>
    public void Download(Tensor source, Span<int> destination)
    {
        var check = new OpValidator(this, nameof(Download));
        check.Indices(source, nameof(source));
        check.HostLength(destination.Length, source, nameof(destination));
        DownloadCore(source.Buffer, MemoryMarshal.AsBytes(destination));
    }

    /// <summary>Sets every element of a <see cref="DataType.Float32"/> tensor to <paramref name="value"/>.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="value">The value.</param>
    public void Fill(Tensor tensor, float value)
    {
        new OpValidator(this, nameof(Fill)).Floats(tensor, nameof(tensor));
        FillCore(tensor.Buffer, tensor.Length, BitConverter.SingleToUInt32Bits(value));
    }

    /// <summary>Sets every element of a <see cref="DataType.Int32"/> tensor to <paramref name="value"/>.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="value">The value.</param>
    public void Fill(Tensor tensor, int value)
    {
        new OpValidator(this, nameof(Fill)).Indices(tensor, nameof(tensor));
        FillCore(tensor.Buffer, tensor.Length, unchecked((uint)value));
    }

    /// <summary><c>destination[i] = source[i]</c> for all i. Lengths and element types must match; shapes may differ.</summary>
    /// <param name="source">The tensor to read.</param>
    /// <param name="destination">The tensor to write (the same tensor is a no-op).</param>
    public void Copy(Tensor source, Tensor destination)
    {
        var check = new OpValidator(this, nameof(Copy));
        check.Owned(source, nameof(source));
        check.Owned(destination, nameof(destination));
        check.SameType(destination, source, nameof(destination), nameof(source));
        check.SameLength(destination, source, nameof(destination), nameof(source));
        if (!ReferenceEquals(source.Buffer, destination.Buffer))
        {
            CopyCore(source.Buffer, 0, destination.Buffer, 0, source.Length);
        }
    }

    /// <summary>
    /// <c>destination[destinationOffset + i] = source[sourceOffset + i]</c> for i in [0, count): a range copy on the
    /// device (e.g. one step's loss into a loss history, without a host round trip). The ranges may not overlap
    /// within one tensor.
    /// </summary>
    /// <param name="source">The tensor to read.</param>
    /// <param name="sourceOffset">First element read.</param>
    /// <param name="destination">The tensor to write.</param>
    /// <param name="destinationOffset">First element written.</param>
    /// <param name="count">Number of elements.</param>
    public void Copy(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int count)
    {
        var check = new OpValidator(this, nameof(Copy));
        check.Owned(source, nameof(source));
        check.Owned(destination, nameof(destination));
        check.SameType(destination, source, nameof(destination), nameof(source));
        check.Range(source, sourceOffset, count, nameof(sourceOffset));
        check.Range(destination, destinationOffset, count, nameof(destinationOffset));
        if (ReferenceEquals(source.Buffer, destination.Buffer) && sourceOffset < destinationOffset + count && destinationOffset < sourceOffset + count
            && sourceOffset != destinationOffset)
        {
            throw new ArgumentException($"Copy: the ranges [{sourceOffset}, {sourceOffset + count}) and [{destinationOffset}, {destinationOffset + count}) of one tensor overlap.", nameof(destinationOffset));
        }

        if (count > 0 && !(ReferenceEquals(source.Buffer, destination.Buffer) && sourceOffset == destinationOffset))
        {
            CopyCore(source.Buffer, sourceOffset, destination.Buffer, destinationOffset, count);
        }
    }

    /// <summary>Waits until every queued operation has finished.</summary>
    public void Synchronize()
    {
        ThrowIfDisposed();
        SynchronizeCore();
    }

    /// <summary>
    /// A span over a host-memory tensor's <see cref="DataType.Float32"/> elements, for kernels written on
    /// the host (only when <see cref="IsHostMemory"/>; valid until the tensor is disposed).
    /// </summary>
    /// <param name="tensor">A float tensor of this backend.</param>
    /// <exception cref="NotSupportedException">This backend's memory is not host memory.</exception>
    public Span<float> HostFloats(Tensor tensor)
    {
        new OpValidator(this, nameof(HostFloats)).Floats(tensor, nameof(tensor));
        return MemoryMarshal.Cast<byte, float>(HostBytes(tensor));
    }

    /// <summary>A span over a host-memory tensor's <see cref="DataType.Int32"/> elements (only when <see cref="IsHostMemory"/>).</summary>
    /// <param name="tensor">An integer tensor of this backend.</param>
    /// <exception cref="NotSupportedException">This backend's memory is not host memory.</exception>
    public Span<int> HostInt32s(Tensor tensor)
    {
        new OpValidator(this, nameof(HostInt32s)).Indices(tensor, nameof(tensor));
        return MemoryMarshal.Cast<byte, int>(HostBytes(tensor));
    }

    private Span<byte> HostBytes(Tensor tensor)
    {
        if (!IsHostMemory)
        {
            throw new NotSupportedException($"Backend '{Name}' keeps tensors in device memory; host code reads them with Download, not through a span.");
        }

        var bytes = HostMemoryCore(tensor.Buffer);
        return bytes[..(tensor.Length * sizeof(float))];
    }

    /// <summary>Returns a buffer to the pool; called once per tensor by <see cref="Tensor.Dispose"/>.</summary>
    internal void Release(DeviceBuffer buffer) => ReleaseCore(buffer);

    /// <summary>Downloads a validated buffer (the staged host path, which may run after the tensor handle was disposed).</summary>
    internal void DownloadQueued(DeviceBuffer source, Span<byte> destination) => DownloadCore(source, destination);

    /// <summary>Uploads into a validated buffer (the staged host path).</summary>
    internal void UploadQueued(ReadOnlySpan<byte> source, DeviceBuffer destination) => UploadCore(source, destination);

    // ---------------------------------------------------------------- ops

    /// <summary>
    /// Runs <paramref name="op"/>: checks the arguments (throwing <see cref="ArgumentException"/> before any
    /// work is queued), then runs this backend's kernel for it, or the op's reference on the host when there
    /// is none (see <see cref="MissingKernelPolicy"/>).
    /// </summary>
    /// <typeparam name="TArgs">The op's arguments.</typeparam>
    /// <param name="op">The op.</param>
    /// <param name="args">Its arguments.</param>
    /// <exception cref="ArgumentException">An argument breaks the op's rules; the message names it.</exception>
    /// <exception cref="NotSupportedException">No kernel, and running the reference on the host is refused.</exception>
    public void Run<TArgs>(ComputeOp<TArgs> op, in TArgs args)
        where TArgs : struct
    {
        ArgumentNullException.ThrowIfNull(op);
        ThrowIfDisposed();
        op.Validate(new OpValidator(this, op.Name), args);
        var table = Volatile.Read(ref _kernels);
        if ((uint)op.Id < (uint)table.Length && table[op.Id] is { } kernel)
        {
            Unsafe.As<IKernel<TArgs>>(kernel).Run(args);
            return;
        }

        if (Support(op) != KernelSupport.ReferenceOnHost)
        {
            throw new NotSupportedException(UnsupportedMessage(op));
        }

        RunReferenceOnHost(op, args);
    }

    /// <summary>How this backend runs <paramref name="op"/>: with a kernel, with the reference on the host, or not at all.</summary>
    /// <param name="op">The op.</param>
    public KernelSupport Support(ComputeOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var table = Volatile.Read(ref _kernels);
        if ((uint)op.Id < (uint)table.Length && table[op.Id] is not null)
        {
            return KernelSupport.Kernel;
        }

        return op.AllowsHostFallback && MissingKernelPolicy == MissingKernelPolicy.RunReferenceOnHost ? KernelSupport.ReferenceOnHost : KernelSupport.Unsupported;
    }

    /// <summary>
    /// Adds the kernel that runs <paramref name="op"/> on this backend. Backends add their own at construction;
    /// the host adds plugins' kernels for their ops before handing the backend out.
    /// </summary>
    /// <typeparam name="TArgs">The op's arguments.</typeparam>
    /// <param name="op">The op.</param>
    /// <param name="kernel">Its kernel on this backend.</param>
    /// <exception cref="InvalidOperationException">The op already has a kernel here.</exception>
    public void AddKernel<TArgs>(ComputeOp<TArgs> op, IKernel<TArgs> kernel)
        where TArgs : struct
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(kernel);
        lock (_kernelTableLock)
        {
            var table = _kernels;
            if ((uint)op.Id < (uint)table.Length && table[op.Id] is not null)
            {
                throw new InvalidOperationException($"Op '{op.Name}' already has a kernel on backend '{Name}'; an op has one kernel per backend.");
            }

            if (op.Id >= table.Length)
            {
                Array.Resize(ref table, Math.Max(op.Id + 1, table.Length * 2));
            }
            else
            {
                table = (object?[])table.Clone();
            }

            table[op.Id] = AdaptKernel(op, kernel);
            Volatile.Write(ref _kernels, table);
        }
    }

    /// <summary>
    /// Lets a backend wrap a kernel it is given (e.g. a plugin's) so it runs in order with its own work; by default
    /// the kernel is used as it is. Called once per <see cref="AddKernel{TArgs}"/>.
    /// </summary>
    /// <typeparam name="TArgs">The op's arguments.</typeparam>
    /// <param name="op">The op.</param>
    /// <param name="kernel">The kernel being added.</param>
    /// <returns>The kernel to store.</returns>
    protected virtual IKernel<TArgs> AdaptKernel<TArgs>(ComputeOp<TArgs> op, IKernel<TArgs> kernel)
        where TArgs : struct => kernel;

    /// <summary>
    /// Runs the op's scalar reference on the host: in place on host memory, otherwise after waiting for the
    /// queued work, on host copies of the tensors it touches, whose written ones are uploaded back.
    /// A backend may override this to order the host run with its own work (e.g. under its kernel lock).
    /// </summary>
    /// <typeparam name="TArgs">The op's arguments.</typeparam>
    /// <param name="op">The op.</param>
    /// <param name="args">Its (already validated) arguments.</param>
    protected virtual void RunReferenceOnHost<TArgs>(ComputeOp<TArgs> op, in TArgs args)
        where TArgs : struct
    {
        ArgumentNullException.ThrowIfNull(op);
        if (IsHostMemory)
        {
            op.Reference(args, new HostTensors(this, staged: false));
            return;
        }

        SynchronizeCore();
        var host = new HostTensors(this, staged: true);
        op.Reference(args, host);
        host.Commit();
    }

    private string UnsupportedMessage(ComputeOp op) => op.AllowsHostFallback
        ? $"Op '{op.Name}' has no kernel on backend '{Name}', and this backend does not run ops on the host. Choose a backend that has one (see 'acr plugins') or add its kernel."
        : $"Op '{op.Name}' has no kernel on backend '{Name}', and the op does not allow running its reference on the host. Choose a backend that has one (see 'acr plugins').";

    // ---------------------------------------------------------------- what a backend implements

    /// <summary>A buffer of at least <paramref name="elements"/> 4-byte elements (contents unspecified), from a pool where possible.</summary>
    /// <param name="elements">Number of elements.</param>
    protected abstract DeviceBuffer AllocateCore(int elements);

    /// <summary>Returns a buffer to the pool once the work queued before has finished. Called from any thread, also after <see cref="Dispose()"/>.</summary>
    /// <param name="buffer">A buffer this backend allocated, released exactly once.</param>
    protected abstract void ReleaseCore(DeviceBuffer buffer);

    /// <summary>Enqueues a copy of <paramref name="source"/> into the start of <paramref name="destination"/>; the span must be consumed before returning.</summary>
    /// <param name="source">The bytes (a whole number of elements, validated).</param>
    /// <param name="destination">The buffer.</param>
    protected abstract void UploadCore(ReadOnlySpan<byte> source, DeviceBuffer destination);

    /// <summary>Waits for the queued work, then copies the start of <paramref name="source"/> to <paramref name="destination"/>.</summary>
    /// <param name="source">The buffer.</param>
    /// <param name="destination">The bytes to fill (validated length).</param>
    protected abstract void DownloadCore(DeviceBuffer source, Span<byte> destination);

    /// <summary>Enqueues writing <paramref name="bits"/> to the first <paramref name="count"/> elements.</summary>
    /// <param name="buffer">The buffer.</param>
    /// <param name="count">Number of elements.</param>
    /// <param name="bits">The 32-bit pattern of the value.</param>
    protected abstract void FillCore(DeviceBuffer buffer, int count, uint bits);

    /// <summary>Enqueues an element range copy between two buffers (ranges validated, never overlapping).</summary>
    /// <param name="source">The buffer read.</param>
    /// <param name="sourceOffset">First element read.</param>
    /// <param name="destination">The buffer written.</param>
    /// <param name="destinationOffset">First element written.</param>
    /// <param name="count">Number of elements.</param>
    protected abstract void CopyCore(DeviceBuffer source, int sourceOffset, DeviceBuffer destination, int destinationOffset, int count);

    /// <summary>Waits for every queued operation.</summary>
    protected abstract void SynchronizeCore();

    /// <summary>The bytes of a host-memory buffer (only called when <see cref="IsHostMemory"/> is true).</summary>
    /// <param name="buffer">The buffer.</param>
    protected virtual Span<byte> HostMemoryCore(DeviceBuffer buffer) =>
        throw new NotSupportedException($"Backend '{Name}' has no host memory.");

    /// <summary>Whether <paramref name="buffer"/> was allocated by this backend instance.</summary>
    /// <param name="buffer">A buffer.</param>
    protected internal abstract bool Owns(DeviceBuffer buffer);

    // ---------------------------------------------------------------- lifetime

    /// <summary>Throws <see cref="ObjectDisposedException"/> after <see cref="Dispose()"/>.</summary>
    protected void ThrowIfDisposed()
    {
        if (IsDisposed)
        {
            throw new ObjectDisposedException(GetType().Name, $"The {Name} backend was disposed.");
        }
    }

    /// <summary>Releases the backend's resources (worker threads, pools, device context).</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected abstract void Dispose(bool disposing);

    /// <summary>Releases the backend. Tensors may still be disposed afterwards (their release is then a no-op).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Dispose(true);
        }

        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} backend on {Device.Id} ({Device.Name})";
}
