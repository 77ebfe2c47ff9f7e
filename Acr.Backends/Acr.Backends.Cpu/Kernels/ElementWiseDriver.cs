namespace Acr.Backends.Cpu.Kernels;

/// <summary>
/// The one generic element-wise loop (<see cref="Loop"/>), run over the kernel shapes (unary, binary, binary with
/// a scalar, ternary, ternary with a scalar) as bodies that bind an operator to its operands.
/// The loop runs the widest accelerated vector (Vector512, then Vector256, then Vector128 for what is
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
        => Run(pool, new UnaryBody<TOp>(x, y), length);

    /// <summary><c>z[i] = TOp(x[i], y[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Binary<TOp>(WorkerPool pool, float* x, float* y, float* z, int length)
        where TOp : IBinaryOperator
        => Run(pool, new BinaryBody<TOp>(x, y, z), length);

    /// <summary><c>z[i] = TOp(x[i], s)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BinaryScalar<TOp>(WorkerPool pool, float* x, float s, float* z, int length)
        where TOp : IBinaryOperator
        => Run(pool, new BinaryScalarBody<TOp>(x, s, z), length);

    /// <summary><c>w[i] = TOp(x[i], y[i], z[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Ternary<TOp>(WorkerPool pool, float* x, float* y, float* z, float* w, int length)
        where TOp : ITernaryOperator
        => Run(pool, new TernaryBody<TOp>(x, y, z, w), length);

    /// <summary><c>w[i] = TOp(x[i], y[i], s)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TernaryScalar<TOp>(WorkerPool pool, float* x, float* y, float s, float* w, int length)
        where TOp : ITernaryOperator
        => Run(pool, new TernaryScalarBody<TOp>(x, y, s, w), length);

    /// <summary>Number of <see cref="ChunkLength"/> chunks covering <paramref name="length"/> elements.</summary>
    public static int ChunkCount(int length) => (int)(((long)length + ChunkLength - 1) / ChunkLength);

    /// <summary>The element range of chunk <paramref name="index"/>.</summary>
    public static (int Start, int Length) Chunk(int index, int length)
    {
        var start = index * ChunkLength;
        return (start, Math.Min(ChunkLength, length - start));
    }

    /// <summary>
    /// <paramref name="body"/> over elements <c>[start, end)</c> on the calling thread: the widest accelerated
    /// vector first, then narrower ones, then scalars.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Loop<TBody>(TBody body, nint start, nint end)
        where TBody : unmanaged, IElementWiseBody
    {
        var i = start;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= end - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                body.At512(i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= end - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                body.At256(i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= end - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                body.At128(i);
            }
        }

        for (; i < end; i++)
        {
            body.At(i);
        }
    }

    /// <summary><paramref name="body"/> over <c>[0, length)</c>: on the calling thread when short, else in chunks over the team.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run<TBody>(WorkerPool pool, TBody body, int length)
        where TBody : unmanaged, IElementWiseBody
    {
        if (length < ParallelThreshold || pool.Threads == 1)
        {
            Loop(body, 0, length);
            return;
        }

        var task = new ChunkTask<TBody>(body, length);
        pool.Run(ref task, ChunkCount(length));
    }

    /// <summary>Chunk <c>index</c> of <paramref name="length"/> elements.</summary>
    private readonly struct ChunkTask<TBody>(TBody body, int length) : IParallelTask
        where TBody : unmanaged, IElementWiseBody
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var (start, n) = Chunk(index, length);
            Loop(body, start, start + n);
        }
    }

    private readonly struct UnaryBody<TOp>(float* x, float* y) : IElementWiseBody
        where TOp : IUnaryOperator
    {
        public void At512(nint i) => TOp.Invoke(Vector512.Load(x + i)).Store(y + i);

        public void At256(nint i) => TOp.Invoke(Vector256.Load(x + i)).Store(y + i);

        public void At128(nint i) => TOp.Invoke(Vector128.Load(x + i)).Store(y + i);

        public void At(nint i) => y[i] = TOp.Invoke(x[i]);
    }

    private readonly struct BinaryBody<TOp>(float* x, float* y, float* z) : IElementWiseBody
        where TOp : IBinaryOperator
    {
        public void At512(nint i) => TOp.Invoke(Vector512.Load(x + i), Vector512.Load(y + i)).Store(z + i);

        public void At256(nint i) => TOp.Invoke(Vector256.Load(x + i), Vector256.Load(y + i)).Store(z + i);

        public void At128(nint i) => TOp.Invoke(Vector128.Load(x + i), Vector128.Load(y + i)).Store(z + i);

        public void At(nint i) => z[i] = TOp.Invoke(x[i], y[i]);
    }

    private readonly struct BinaryScalarBody<TOp>(float* x, float s, float* z) : IElementWiseBody
        where TOp : IBinaryOperator
    {
        public void At512(nint i) => TOp.Invoke(Vector512.Load(x + i), Vector512.Create(s)).Store(z + i);

        public void At256(nint i) => TOp.Invoke(Vector256.Load(x + i), Vector256.Create(s)).Store(z + i);

        public void At128(nint i) => TOp.Invoke(Vector128.Load(x + i), Vector128.Create(s)).Store(z + i);

        public void At(nint i) => z[i] = TOp.Invoke(x[i], s);
    }

    private readonly struct TernaryBody<TOp>(float* x, float* y, float* z, float* w) : IElementWiseBody
        where TOp : ITernaryOperator
    {
        public void At512(nint i) => TOp.Invoke(Vector512.Load(x + i), Vector512.Load(y + i), Vector512.Load(z + i)).Store(w + i);

        public void At256(nint i) => TOp.Invoke(Vector256.Load(x + i), Vector256.Load(y + i), Vector256.Load(z + i)).Store(w + i);

        public void At128(nint i) => TOp.Invoke(Vector128.Load(x + i), Vector128.Load(y + i), Vector128.Load(z + i)).Store(w + i);

        public void At(nint i) => w[i] = TOp.Invoke(x[i], y[i], z[i]);
    }

    private readonly struct TernaryScalarBody<TOp>(float* x, float* y, float s, float* w) : IElementWiseBody
        where TOp : ITernaryOperator
    {
        public void At512(nint i) => TOp.Invoke(Vector512.Load(x + i), Vector512.Load(y + i), Vector512.Create(s)).Store(w + i);

        public void At256(nint i) => TOp.Invoke(Vector256.Load(x + i), Vector256.Load(y + i), Vector256.Create(s)).Store(w + i);

        public void At128(nint i) => TOp.Invoke(Vector128.Load(x + i), Vector128.Load(y + i), Vector128.Create(s)).Store(w + i);

        public void At(nint i) => w[i] = TOp.Invoke(x[i], y[i], s);
    }
}
