using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Acr.Backends.Cpu.Kernels;
using Acr.Backends.Cpu.Kernels.Gemm;
using Acr.Backends.Cpu.Threading;
using Acr.Compute;
using Acr.Tensors;

namespace Acr.Backends.Cpu;

/// <summary>
/// The pure C# CPU implementation of <see cref="IComputeBackend"/>: SIMD kernels (Vector512 where the
/// hardware accelerates it, else Vector256, else scalar), a cache-blocked multithreaded GEMM and a pool of
/// 64-byte-aligned buffers. Kernels run synchronously on the calling thread plus a persistent team of
/// workers; every result is bit-identical for any thread count.
/// </summary>
/// <remarks>
/// Calls may come from any thread; kernels of one backend run one at a time. Tensors may be disposed
/// from any thread, also after the backend itself was disposed.
/// </remarks>
public sealed partial class CpuBackend : IComputeBackend
{
    private readonly WorkerPool _pool;
    private readonly BufferPool _buffers = new();
    private readonly GemmWorkspace _gemm = new();
    private readonly AlignedArray<double> _doubleScratch = new();
    private readonly AlignedArray<float> _floatScratch = new();
    private readonly AlignedArray<int> _intScratch = new();
    private readonly Lock _kernelLock = new();
    private readonly GemmKernel _gemmKernel;
    private bool _disposed;

    /// <summary>Creates a backend that uses every logical core.</summary>
    public CpuBackend()
        : this(Environment.ProcessorCount)
    {
    }

    /// <summary>Creates a backend with <paramref name="threads"/> threads (the calling thread included).</summary>
    /// <param name="threads">Number of threads, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public CpuBackend(int threads)
        : this(threads, GemmKernel.Auto)
    {
    }

    /// <summary>Creates a backend with a forced GEMM micro-kernel (tests and benchmarks).</summary>
    internal CpuBackend(int threads, GemmKernel gemmKernel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _gemmKernel = gemmKernel == GemmKernel.Auto ? BestGemmKernel() : gemmKernel;
        _pool = new WorkerPool(threads);
        Device = CpuBackendProvider.DescribeDevice();
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
    public string Name => "cpu";

    /// <inheritdoc />
    public DeviceDescriptor Device { get; }

    /// <summary>Number of threads kernels use (the calling thread included).</summary>
    public int Threads => _pool.Threads;

    /// <summary>The GEMM micro-kernel in use.</summary>
    internal GemmKernel ActiveGemmKernel => _gemmKernel;

    // ---------------------------------------------------------------- memory

    /// <inheritdoc />
    public Tensor Allocate(TensorShape shape)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var buffer = _buffers.TryRent(shape.Length) ?? new CpuBuffer(this, shape.Length);
        buffer.Span.Clear();
        return new Tensor(this, buffer, shape);
    }

    /// <inheritdoc />
    public void Release(DeviceBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer is not CpuBuffer cpu || !ReferenceEquals(cpu.Owner, this))
        {
            throw new ArgumentException("The buffer was not allocated by this cpu backend.", nameof(buffer));
        }

        _buffers.Return(cpu);
    }

    /// <inheritdoc />
    public unsafe void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        var d = Own(destination, nameof(destination));
        if (source.Length != destination.Length)
        {
            throw new ArgumentException(
                $"Upload: the source has {source.Length} values but destination (shape {destination.Shape}) holds {destination.Length}.", nameof(source));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        source.CopyTo(new Span<float>(d.Pointer, destination.Length));
    }

    /// <inheritdoc />
    public unsafe void Download(Tensor source, Span<float> destination)
    {
        var s = Own(source, nameof(source));
        if (destination.Length != source.Length)
        {
            throw new ArgumentException(
                $"Download: source (shape {source.Shape}) holds {source.Length} values but the destination has room for {destination.Length}.", nameof(destination));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        new ReadOnlySpan<float>(s.Pointer, source.Length).CopyTo(destination);
    }

    /// <inheritdoc />
    public unsafe void Fill(Tensor tensor, float value)
    {
        var t = Own(tensor, nameof(tensor));
        ObjectDisposedException.ThrowIf(_disposed, this);
        new Span<float>(t.Pointer, tensor.Length).Fill(value);
    }

    /// <inheritdoc />
    public unsafe void Copy(Tensor source, Tensor destination)
    {
        var s = Own(source, nameof(source));
        var d = Own(destination, nameof(destination));
        RequireSameLength(destination, source, nameof(destination), nameof(source), nameof(Copy));
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!ReferenceEquals(s, d))
        {
            new ReadOnlySpan<float>(s.Pointer, source.Length).CopyTo(new Span<float>(d.Pointer, destination.Length));
        }
    }

    /// <inheritdoc />
    public void Synchronize() => ObjectDisposedException.ThrowIf(_disposed, this);

    // ---------------------------------------------------------------- dense linear algebra

    /// <inheritdoc />
    public unsafe void Gemm(bool transposeA, bool transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c)
    {
        var ab = Own(a, nameof(a));
        var bb = Own(b, nameof(b));
        var cb = Own(c, nameof(c));
        int m = transposeA ? a.Shape.Columns : a.Shape.Rows, k = transposeA ? a.Shape.Rows : a.Shape.Columns;
        int kb = transposeB ? b.Shape.Columns : b.Shape.Rows, n = transposeB ? b.Shape.Rows : b.Shape.Columns;
        if (k != kb)
        {
            throw new ArgumentException(
                $"Gemm: inner dimensions differ: op(A) is {m}×{k} (a has shape {a.Shape}{(transposeA ? ", transposed" : string.Empty)}) " +
                $"but op(B) is {kb}×{n} (b has shape {b.Shape}{(transposeB ? ", transposed" : string.Empty)}).", nameof(b));
        }

        RequireMatrix(c, m, n, nameof(c), nameof(Gemm));
        RequireDistinct(cb, ab, nameof(c), nameof(a), nameof(Gemm));
        RequireDistinct(cb, bb, nameof(c), nameof(b), nameof(Gemm));
        RunGemm(new GemmProblem
        {
            A = ab.Pointer,
            B = bb.Pointer,
            C = cb.Pointer,
            M = m,
            N = n,
            K = k,
            TransposeA = transposeA,
            TransposeB = transposeB,
            Alpha = alpha,
            Beta = beta,
        });
    }

    /// <inheritdoc />
    /// <remarks>One GEMM whose micro-tiles get the bias added right after their last K block, while they are in L1.</remarks>
    public unsafe void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        const string op = nameof(Linear);
        var xb = Own(x, nameof(x));
        var wb = Own(weight, nameof(weight));
        var yb = Own(y, nameof(y));
        int m = x.Shape.Rows, k = x.Shape.Columns, n = weight.Shape.Rows;
        if (weight.Shape.Columns != k)
        {
            throw new ArgumentException(
                $"{op}: the input has {k} features per row (x has shape {x.Shape}) but the weight expects {weight.Shape.Columns} (weight has shape {weight.Shape}).",
                nameof(weight));
        }

        RequireMatrix(y, m, n, nameof(y), op);
        RequireDistinct(yb, xb, nameof(y), nameof(x), op);
        RequireDistinct(yb, wb, nameof(y), nameof(weight), op);
        float* biasPointer = null;
        if (bias is not null)
        {
            var bb = Own(bias, nameof(bias));
            RequireLength(bias, n, nameof(bias), op, "one per output feature");
            RequireDistinct(yb, bb, nameof(y), nameof(bias), op);
            biasPointer = bb.Pointer;
        }

        RunGemm(new GemmProblem
        {
            A = xb.Pointer,
            B = wb.Pointer,
            C = yb.Pointer,
            Bias = biasPointer,
            M = m,
            N = n,
            K = k,
            TransposeA = false,
            TransposeB = true,
            Alpha = 1f,
            Beta = 0f,
        });
    }

    private unsafe void RunGemm(in GemmProblem problem)
    {
        var n = problem.N;
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            switch (_gemmKernel)
            {
                case GemmKernel.Vector512 when n <= MicroKernel512Narrow.NR:
                    // Same KC, so the same bits as the 8×32 kernel, without computing a half-empty tile.
                    GemmDriver<MicroKernel512Narrow>.Run(problem, _pool, _gemm);
                    break;
                case GemmKernel.Vector512:
                    GemmDriver<MicroKernel512>.Run(problem, _pool, _gemm);
                    break;
                case GemmKernel.Vector256:
                    GemmDriver<MicroKernel256>.Run(problem, _pool, _gemm);
                    break;
                default:
                    GemmDriver<MicroKernelScalar>.Run(problem, _pool, _gemm);
                    break;
            }
        }
    }

    // ---------------------------------------------------------------- element-wise and reductions

    /// <inheritdoc />
    public unsafe void AddRowVector(Tensor x, Tensor v, Tensor y)
    {
        var xb = Own(x, nameof(x));
        var vb = Own(v, nameof(v));
        var yb = Own(y, nameof(y));
        int rows = x.Shape.Rows, columns = x.Shape.Columns;
        RequireLength(v, columns, nameof(v), nameof(AddRowVector), "one per column of x");
        RequireMatrix(y, rows, columns, nameof(y), nameof(AddRowVector));
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ElementWise.AddRowVector(_pool, xb.Pointer, vb.Pointer, yb.Pointer, rows, columns);
        }
    }

    /// <inheritdoc />
    public unsafe void ColumnSum(Tensor x, Tensor y, bool accumulate)
    {
        var xb = Own(x, nameof(x));
        var yb = Own(y, nameof(y));
        int rows = x.Shape.Rows, columns = x.Shape.Columns;
        RequireLength(y, columns, nameof(y), nameof(ColumnSum), "one per column of x");
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var partials = _doubleScratch.Ensure(Reductions.ChunkCount(rows) * columns);
            Reductions.ColumnSum(_pool, xb.Pointer, rows, columns, yb.Pointer, accumulate, partials);
        }
    }

    /// <inheritdoc />
    public unsafe void Relu(Tensor x, Tensor y)
    {
        var xb = Own(x, nameof(x));
        var yb = Own(y, nameof(y));
        RequireSameLength(y, x, nameof(y), nameof(x), nameof(Relu));
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ElementWise.Relu(_pool, xb.Pointer, yb.Pointer, x.Length);
        }
    }

    /// <inheritdoc />
    public unsafe void ReluBackward(Tensor y, Tensor dy, Tensor dx, bool accumulate)
    {
        var yb = Own(y, nameof(y));
        var dyb = Own(dy, nameof(dy));
        var dxb = Own(dx, nameof(dx));
        RequireSameLength(dy, y, nameof(dy), nameof(y), nameof(ReluBackward));
        RequireSameLength(dx, y, nameof(dx), nameof(y), nameof(ReluBackward));
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ElementWise.ReluBackward(_pool, yb.Pointer, dyb.Pointer, dxb.Pointer, y.Length, accumulate);
        }
    }

    /// <inheritdoc />
    public unsafe void Axpy(float alpha, Tensor x, Tensor y)
    {
        var xb = Own(x, nameof(x));
        var yb = Own(y, nameof(y));
        RequireSameLength(y, x, nameof(y), nameof(x), nameof(Axpy));
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ElementWise.Axpy(_pool, alpha, xb.Pointer, yb.Pointer, x.Length);
        }
    }

    /// <inheritdoc />
    public unsafe void ShiftedReciprocal(Tensor x, float epsilon, Tensor y)
    {
        var xb = Own(x, nameof(x));
        var yb = Own(y, nameof(y));
        RequireSameLength(y, x, nameof(y), nameof(x), nameof(ShiftedReciprocal));
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ElementWise.ShiftedReciprocal(_pool, xb.Pointer, epsilon, yb.Pointer, x.Length);
        }
    }

    /// <inheritdoc />
    public unsafe void ShiftedReciprocalBackward(Tensor y, Tensor dy, Tensor dx, bool accumulate)
    {
        var yb = Own(y, nameof(y));
        var dyb = Own(dy, nameof(dy));
        var dxb = Own(dx, nameof(dx));
        RequireSameLength(dy, y, nameof(dy), nameof(y), nameof(ShiftedReciprocalBackward));
        RequireSameLength(dx, y, nameof(dx), nameof(y), nameof(ShiftedReciprocalBackward));
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ElementWise.ShiftedReciprocalBackward(_pool, yb.Pointer, dyb.Pointer, dxb.Pointer, y.Length, accumulate);
        }
    }

    // ---------------------------------------------------------------- batch norm

    /// <inheritdoc />
    public void BatchNormForward(Tensor x, BatchSegments segments, Tensor gamma, Tensor beta, float epsilon,
        Tensor y, Tensor mean, Tensor inverseStd, Tensor? runningMean, Tensor? runningVariance, float momentum) =>
        BatchNormForward(x, segments, gamma, beta, epsilon, Activation.None, y, mean, inverseStd, runningMean, runningVariance, momentum);

    /// <inheritdoc />
    public unsafe void BatchNormForward(Tensor x, BatchSegments segments, Tensor gamma, Tensor beta, float epsilon, Activation activation,
        Tensor y, Tensor mean, Tensor inverseStd, Tensor? runningMean, Tensor? runningVariance, float momentum)
    {
        const string op = nameof(BatchNormForward);
        if (activation is not (Activation.None or Activation.Relu))
        {
            throw new ArgumentException($"{op}: unknown activation {activation}; the CPU backend fuses None or Relu.", nameof(activation));
        }

        var xb = Own(x, nameof(x));
        int rows = x.Shape.Rows, channels = x.Shape.Columns;
        RequireSegments(segments, rows, op);
        var gb = Own(gamma, nameof(gamma));
        var bb = Own(beta, nameof(beta));
        var yb = Own(y, nameof(y));
        var mb = Own(mean, nameof(mean));
        var ib = Own(inverseStd, nameof(inverseStd));
        RequireLength(gamma, channels, nameof(gamma), op, "one per channel");
        RequireLength(beta, channels, nameof(beta), op, "one per channel");
        RequireMatrix(y, rows, channels, nameof(y), op);
        RequireDistinct(yb, xb, nameof(y), nameof(x), op);
        var statistics = segments.Count * channels;
        RequireStatistics(mean, segments.Count, channels, nameof(mean), op);
        RequireStatistics(inverseStd, segments.Count, channels, nameof(inverseStd), op);
        if ((runningMean is null) != (runningVariance is null))
        {
            throw new ArgumentException($"{op}: runningMean and runningVariance must both be given or both be null.",
                runningMean is null ? nameof(runningMean) : nameof(runningVariance));
        }

        float* rm = null, rv = null;
        if (runningMean is not null && runningVariance is not null)
        {
            rm = Own(runningMean, nameof(runningMean)).Pointer;
            rv = Own(runningVariance, nameof(runningVariance)).Pointer;
            RequireLength(runningMean, channels, nameof(runningMean), op, "one per channel");
            RequireLength(runningVariance, channels, nameof(runningVariance), op, "one per channel");
        }

        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var chunks = BatchNorm.ForwardChunks(segments.Offsets);
            var scratch = _doubleScratch.Ensure(checked((2 * chunks * channels) + (2 * statistics)));
            var affine = _floatScratch.Ensure(checked(2 * statistics));
            var chunkStarts = _intScratch.Ensure(segments.Count + 1);
            fixed (int* offsets = segments.Offsets)
            {
                BatchNorm.Forward(_pool, xb.Pointer, rows, channels, offsets, segments.Count, gb.Pointer, bb.Pointer, epsilon,
                    activation == Activation.Relu, yb.Pointer, mb.Pointer, ib.Pointer, rm, rv, momentum, scratch, affine, chunkStarts);
            }
        }
    }

    /// <inheritdoc />
    public unsafe void BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, float epsilon, Tensor y)
    {
        const string op = nameof(BatchNormInference);
        var xb = Own(x, nameof(x));
        var gb = Own(gamma, nameof(gamma));
        var bb = Own(beta, nameof(beta));
        var rmb = Own(runningMean, nameof(runningMean));
        var rvb = Own(runningVariance, nameof(runningVariance));
        var yb = Own(y, nameof(y));
        int rows = x.Shape.Rows, channels = x.Shape.Columns;
        RequireLength(gamma, channels, nameof(gamma), op, "one per channel");
        RequireLength(beta, channels, nameof(beta), op, "one per channel");
        RequireLength(runningMean, channels, nameof(runningMean), op, "one per channel");
        RequireLength(runningVariance, channels, nameof(runningVariance), op, "one per channel");
        RequireMatrix(y, rows, channels, nameof(y), op);
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var scale = _floatScratch.Ensure(channels);
            BatchNorm.Inference(_pool, xb.Pointer, rows, channels, gb.Pointer, bb.Pointer, rmb.Pointer, rvb.Pointer, epsilon, yb.Pointer, scale);
        }
    }

    /// <inheritdoc />
    public unsafe void BatchNormBackward(Tensor x, Tensor dy, BatchSegments segments, Tensor gamma, Tensor mean, Tensor inverseStd,
        Tensor dx, bool accumulateInput, Tensor dGamma, Tensor dBeta, bool accumulateParameters)
    {
        const string op = nameof(BatchNormBackward);
        var xb = Own(x, nameof(x));
        int rows = x.Shape.Rows, channels = x.Shape.Columns;
        RequireSegments(segments, rows, op);
        var dyb = Own(dy, nameof(dy));
        var gb = Own(gamma, nameof(gamma));
        var mb = Own(mean, nameof(mean));
        var ib = Own(inverseStd, nameof(inverseStd));
        var dxb = Own(dx, nameof(dx));
        var dgb = Own(dGamma, nameof(dGamma));
        var dbb = Own(dBeta, nameof(dBeta));
        RequireMatrix(dy, rows, channels, nameof(dy), op);
        RequireMatrix(dx, rows, channels, nameof(dx), op);
        RequireLength(gamma, channels, nameof(gamma), op, "one per channel");
        var statistics = segments.Count * channels;
        RequireStatistics(mean, segments.Count, channels, nameof(mean), op);
        RequireStatistics(inverseStd, segments.Count, channels, nameof(inverseStd), op);
        RequireLength(dGamma, channels, nameof(dGamma), op, "one per channel");
        RequireLength(dBeta, channels, nameof(dBeta), op, "one per channel");
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var scratch = _doubleScratch.Ensure(2 * statistics);
            fixed (int* offsets = segments.Offsets)
            {
                BatchNorm.Backward(_pool, xb.Pointer, dyb.Pointer, rows, channels, offsets, segments.Count, gb.Pointer, mb.Pointer, ib.Pointer,
                    dxb.Pointer, accumulateInput, dgb.Pointer, dbb.Pointer, accumulateParameters, scratch);
            }
        }
    }

    // ---------------------------------------------------------------- detector terms and the ACR objective

    /// <inheritdoc />
    public unsafe void RowSquaredDistance(Tensor z, Tensor center, Tensor distance)
    {
        const string op = nameof(RowSquaredDistance);
        var zb = Own(z, nameof(z));
        var cb = Own(center, nameof(center));
        var db = Own(distance, nameof(distance));
        int rows = z.Shape.Rows, columns = z.Shape.Columns;
        RequireLength(center, columns, nameof(center), op, "one per column of z");
        RequireLength(distance, rows, nameof(distance), op, "one per row of z");
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Distance.RowSquaredDistance(_pool, zb.Pointer, cb.Pointer, db.Pointer, rows, columns);
        }
    }

    /// <inheritdoc />
    public unsafe void RowSquaredDistanceBackward(Tensor z, Tensor center, Tensor dDistance, Tensor dz, bool accumulateZ, Tensor dCenter, bool accumulateCenter)
    {
        const string op = nameof(RowSquaredDistanceBackward);
        var zb = Own(z, nameof(z));
        var cb = Own(center, nameof(center));
        var gb = Own(dDistance, nameof(dDistance));
        var dzb = Own(dz, nameof(dz));
        var dcb = Own(dCenter, nameof(dCenter));
        int rows = z.Shape.Rows, columns = z.Shape.Columns;
        RequireLength(center, columns, nameof(center), op, "one per column of z");
        RequireLength(dDistance, rows, nameof(dDistance), op, "one per row of z");
        RequireMatrix(dz, rows, columns, nameof(dz), op);
        RequireLength(dCenter, columns, nameof(dCenter), op, "one per column of z");
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var partials = _doubleScratch.Ensure(Reductions.ChunkCount(rows) * columns);
            Distance.RowSquaredDistanceBackward(_pool, zb.Pointer, cb.Pointer, gb.Pointer, rows, columns,
                dzb.Pointer, accumulateZ, dcb.Pointer, accumulateCenter, partials);
        }
    }

    /// <inheritdoc />
    public unsafe void AcrObjective(Tensor normalTerm, Tensor anomalyTerm, Tensor isAnomaly, Tensor rowWeight, Tensor loss)
    {
        const string op = nameof(AcrObjective);
        var nb = Own(normalTerm, nameof(normalTerm));
        var ab = Own(anomalyTerm, nameof(anomalyTerm));
        var yb = Own(isAnomaly, nameof(isAnomaly));
        var wb = Own(rowWeight, nameof(rowWeight));
        var lb = Own(loss, nameof(loss));
        RequireSameLength(anomalyTerm, normalTerm, nameof(anomalyTerm), nameof(normalTerm), op);
        RequireSameLength(isAnomaly, normalTerm, nameof(isAnomaly), nameof(normalTerm), op);
        RequireSameLength(rowWeight, normalTerm, nameof(rowWeight), nameof(normalTerm), op);
        RequireLength(loss, 1, nameof(loss), op, "one scalar");
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lb.Pointer[0] = Kernels.AcrObjective.Forward(nb.Pointer, ab.Pointer, yb.Pointer, wb.Pointer, normalTerm.Length);
        }
    }

    /// <inheritdoc />
    public unsafe void AcrObjectiveBackward(Tensor isAnomaly, Tensor rowWeight, Tensor dLoss, Tensor dNormal, Tensor dAnomaly, bool accumulate)
    {
        const string op = nameof(AcrObjectiveBackward);
        var yb = Own(isAnomaly, nameof(isAnomaly));
        var wb = Own(rowWeight, nameof(rowWeight));
        var gb = Own(dLoss, nameof(dLoss));
        var dnb = Own(dNormal, nameof(dNormal));
        var dab = Own(dAnomaly, nameof(dAnomaly));
        RequireSameLength(rowWeight, isAnomaly, nameof(rowWeight), nameof(isAnomaly), op);
        RequireLength(dLoss, 1, nameof(dLoss), op, "one scalar");
        RequireSameLength(dNormal, isAnomaly, nameof(dNormal), nameof(isAnomaly), op);
        RequireSameLength(dAnomaly, isAnomaly, nameof(dAnomaly), nameof(isAnomaly), op);
        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Kernels.AcrObjective.Backward(yb.Pointer, wb.Pointer, gb.Pointer[0], dnb.Pointer, dab.Pointer, isAnomaly.Length, accumulate);
        }
    }

    // ---------------------------------------------------------------- optimizer

    /// <inheritdoc />
    public unsafe void AdamUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, AdamStep step)
    {
        const string op = nameof(AdamUpdate);
        var pb = Own(parameter, nameof(parameter));
        var gb = Own(gradient, nameof(gradient));
        var mb = Own(firstMoment, nameof(firstMoment));
        var vb = Own(secondMoment, nameof(secondMoment));
        RequireSameLength(gradient, parameter, nameof(gradient), nameof(parameter), op);
        RequireSameLength(firstMoment, parameter, nameof(firstMoment), nameof(parameter), op);
        RequireSameLength(secondMoment, parameter, nameof(secondMoment), nameof(parameter), op);
        if (step.Step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step.Step, $"{op}: the step count t is 1-based; got {step.Step}.");
        }

        lock (_kernelLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Kernels.Adam.Update(_pool, pb.Pointer, gb.Pointer, mb.Pointer, vb.Pointer, parameter.Length, step);
        }
    }

    /// <summary>Stops the worker threads and drops the pooled buffers.</summary>
    public void Dispose()
    {
        lock (_kernelLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _pool.Dispose();
        _buffers.Close();
    }

    private static GemmKernel BestGemmKernel() =>
        Vector512.IsHardwareAccelerated ? GemmKernel.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? GemmKernel.Vector256
        : GemmKernel.Scalar;
}
