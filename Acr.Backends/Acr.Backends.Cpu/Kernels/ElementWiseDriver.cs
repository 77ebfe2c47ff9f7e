namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// The one generic loop per element-wise kernel shape (unary, binary, binary with a scalar, ternary,
/// ternary with a scalar).
/// Each loop runs the widest accelerated vector (Vector512, then Vector256, then Vector128 for what is
/// left) and finishes with scalars. Large inputs are cut into fixed chunks of <see cref="ChunkLength"/>
/// elements and spread over the worker pool; the chunking depends on the length only.
/// Outputs may alias inputs exactly (same pointer): each element is read before it is written.
/// </summary>
internal static unsafe class ElementWiseDriver
{
    /// <summary>Elements per parallel task (a multiple of every vector width).</summary>
    public const int ChunkLength = 1 << 15;

    /// <summary>Inputs shorter than this run on the calling thread.</summary>
    public const int ParallelThreshold = 1 << 17;

    /// <summary><c>y[i] = TOp(x[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unary<TOp>(WorkerPool pool, float* x, float* y, int length)
        where TOp : IUnaryOperator
    {
        if (length < ParallelThreshold || pool.Threads == 1)
        {
            UnaryLoop<TOp>(x, y, length);
            return;
        }

        var task = new UnaryTask<TOp> { X = x, Y = y, Length = length };
        pool.Run(ref task, ChunkCount(length));
    }

    /// <summary><c>z[i] = TOp(x[i], y[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Binary<TOp>(WorkerPool pool, float* x, float* y, float* z, int length)
        where TOp : IBinaryOperator
    {
        if (length < ParallelThreshold || pool.Threads == 1)
        {
            BinaryLoop<TOp>(x, y, z, length);
            return;
        }

        var task = new BinaryTask<TOp> { X = x, Y = y, Z = z, Length = length };
        pool.Run(ref task, ChunkCount(length));
    }

    /// <summary><c>z[i] = TOp(x[i], s)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BinaryScalar<TOp>(WorkerPool pool, float* x, float s, float* z, int length)
        where TOp : IBinaryOperator
    {
        if (length < ParallelThreshold || pool.Threads == 1)
        {
            BinaryScalarLoop<TOp>(x, s, z, length);
            return;
        }

        var task = new BinaryScalarTask<TOp> { X = x, S = s, Z = z, Length = length };
        pool.Run(ref task, ChunkCount(length));
    }

    /// <summary><c>w[i] = TOp(x[i], y[i], z[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Ternary<TOp>(WorkerPool pool, float* x, float* y, float* z, float* w, int length)
        where TOp : ITernaryOperator
    {
        if (length < ParallelThreshold || pool.Threads == 1)
        {
            TernaryLoop<TOp>(x, y, z, w, length);
            return;
        }

        var task = new TernaryTask<TOp> { X = x, Y = y, Z = z, W = w, Length = length };
        pool.Run(ref task, ChunkCount(length));
    }

    /// <summary><c>w[i] = TOp(x[i], y[i], s)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TernaryScalar<TOp>(WorkerPool pool, float* x, float* y, float s, float* w, int length)
        where TOp : ITernaryOperator
    {
        if (length < ParallelThreshold || pool.Threads == 1)
        {
            TernaryScalarLoop<TOp>(x, y, s, w, length);
            return;
        }

        var task = new TernaryScalarTask<TOp> { X = x, Y = y, S = s, W = w, Length = length };
        pool.Run(ref task, ChunkCount(length));
    }

    /// <summary>Number of <see cref="ChunkLength"/> chunks covering <paramref name="length"/> elements.</summary>
    public static int ChunkCount(int length) => (int)(((long)length + ChunkLength - 1) / ChunkLength);

    /// <summary>The element range of chunk <paramref name="index"/>.</summary>
    public static (int Start, int Length) Chunk(int index, int length)
    {
        var start = index * ChunkLength;
        return (start, Math.Min(ChunkLength, length - start));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnaryLoop<TOp>(float* x, float* y, nint n)
        where TOp : IUnaryOperator
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                TOp.Invoke(Vector512.Load(x + i)).Store(y + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.Load(x + i)).Store(y + i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TOp.Invoke(Vector128.Load(x + i)).Store(y + i);
            }
        }

        for (; i < n; i++)
        {
            y[i] = TOp.Invoke(x[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BinaryLoop<TOp>(float* x, float* y, float* z, nint n)
        where TOp : IBinaryOperator
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                TOp.Invoke(Vector512.Load(x + i), Vector512.Load(y + i)).Store(z + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.Load(x + i), Vector256.Load(y + i)).Store(z + i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TOp.Invoke(Vector128.Load(x + i), Vector128.Load(y + i)).Store(z + i);
            }
        }

        for (; i < n; i++)
        {
            z[i] = TOp.Invoke(x[i], y[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BinaryScalarLoop<TOp>(float* x, float s, float* z, nint n)
        where TOp : IBinaryOperator
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var sv = Vector512.Create(s);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                TOp.Invoke(Vector512.Load(x + i), sv).Store(z + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var sv = Vector256.Create(s);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.Load(x + i), sv).Store(z + i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            var sv = Vector128.Create(s);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TOp.Invoke(Vector128.Load(x + i), sv).Store(z + i);
            }
        }

        for (; i < n; i++)
        {
            z[i] = TOp.Invoke(x[i], s);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TernaryLoop<TOp>(float* x, float* y, float* z, float* w, nint n)
        where TOp : ITernaryOperator
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                TOp.Invoke(Vector512.Load(x + i), Vector512.Load(y + i), Vector512.Load(z + i)).Store(w + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.Load(x + i), Vector256.Load(y + i), Vector256.Load(z + i)).Store(w + i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TOp.Invoke(Vector128.Load(x + i), Vector128.Load(y + i), Vector128.Load(z + i)).Store(w + i);
            }
        }

        for (; i < n; i++)
        {
            w[i] = TOp.Invoke(x[i], y[i], z[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TernaryScalarLoop<TOp>(float* x, float* y, float s, float* w, nint n)
        where TOp : ITernaryOperator
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var sv = Vector512.Create(s);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                TOp.Invoke(Vector512.Load(x + i), Vector512.Load(y + i), sv).Store(w + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var sv = Vector256.Create(s);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.Load(x + i), Vector256.Load(y + i), sv).Store(w + i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            var sv = Vector128.Create(s);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TOp.Invoke(Vector128.Load(x + i), Vector128.Load(y + i), sv).Store(w + i);
            }
        }

        for (; i < n; i++)
        {
            w[i] = TOp.Invoke(x[i], y[i], s);
        }
    }

    private struct TernaryScalarTask<TOp> : IParallelTask
        where TOp : ITernaryOperator
    {
        public float* X;
        public float* Y;
        public float S;
        public float* W;
        public int Length;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var (s, n) = Chunk(index, Length);
            TernaryScalarLoop<TOp>(X + s, Y + s, S, W + s, n);
        }
    }

    private struct UnaryTask<TOp> : IParallelTask
        where TOp : IUnaryOperator
    {
        public float* X;
        public float* Y;
        public int Length;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var (s, n) = Chunk(index, Length);
            UnaryLoop<TOp>(X + s, Y + s, n);
        }
    }

    private struct BinaryTask<TOp> : IParallelTask
        where TOp : IBinaryOperator
    {
        public float* X;
        public float* Y;
        public float* Z;
        public int Length;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var (s, n) = Chunk(index, Length);
            BinaryLoop<TOp>(X + s, Y + s, Z + s, n);
        }
    }

    private struct BinaryScalarTask<TOp> : IParallelTask
        where TOp : IBinaryOperator
    {
        public float* X;
        public float S;
        public float* Z;
        public int Length;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var (s, n) = Chunk(index, Length);
            BinaryScalarLoop<TOp>(X + s, S, Z + s, n);
        }
    }

    private struct TernaryTask<TOp> : IParallelTask
        where TOp : ITernaryOperator
    {
        public float* X;
        public float* Y;
        public float* Z;
        public float* W;
        public int Length;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var (s, n) = Chunk(index, Length);
            TernaryLoop<TOp>(X + s, Y + s, Z + s, W + s, n);
        }
    }
}
