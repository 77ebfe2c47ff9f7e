using System.Numerics;
using Acr.Backends.Cpu.Kernels.Gemm;

namespace Acr.Backends.Cpu.Ops;

/// <summary>
/// Batched GEMM in three regimes, each fixed by the shapes alone (so bit-identical for any thread count):
/// a batch summed into one C runs the blocked GEMM batch by batch in order (beta = 1 after the first); large
/// matrices run the blocked GEMM per batch (parallel inside); many small ones are spread over the team, a
/// contiguous range of batches per task, each matrix by a row-times-panel loop of vector FMAs over N.
/// </summary>
internal sealed unsafe class BatchedGemmKernel(CpuBackend backend) : CpuKernel<BatchedGemmOp.Args>(backend, BatchedGemmOp.Instance)
{
    /// <summary>Per-matrix work (M·N·K) from which a matrix gets the blocked GEMM to itself.</summary>
    private const long LargeWork = 1 << 16;

    /// <summary>Multiply-adds per parallel task of the small-matrix regime.</summary>
    private const long TaskWork = 1 << 15;

    protected override void Execute(in BatchedGemmOp.Args a)
    {
        int m = a.M, n = a.N, k = a.K, count = a.Count;
        float* pa = Pointer(a.A), pb = Pointer(a.B), pc = Pointer(a.C);
        nint strideA = a.A.Shape[0] == 1 ? 0 : (nint)m * k, strideB = a.B.Shape[0] == 1 ? 0 : (nint)k * n, strideC = a.C.Shape[0] == 1 ? 0 : (nint)m * n;
        if (m == 0 || n == 0)
        {
            return;
        }

        var work = (long)m * n * Math.Max(k, 1);
        if (strideC == 0 || work >= LargeWork)
        {
            for (var b = 0; b < count; b++)
            {
                var beta = strideC == 0 && b > 0 ? 1f : a.Beta;
                GemmKernel.Run(Backend, new GemmProblem
                {
                    A = pa + (b * strideA),
                    B = pb + (b * strideB),
                    C = pc + (b * strideC),
                    M = m,
                    N = n,
                    K = k,
                    TransposeA = a.TransposeA,
                    TransposeB = a.TransposeB,
                    Alpha = a.Alpha,
                    Beta = beta,
                });
            }

            return;
        }

        var perTask = (int)Math.Max(1, TaskWork / work);
        var threads = Backend.Pool.Threads;
        var scratchStride = (k * n) + n + Vector<float>.Count;
        var task = new SmallTask
        {
            A = pa,
            B = pb,
            C = pc,
            StrideA = strideA,
            StrideB = strideB,
            StrideC = strideC,
            M = m,
            N = n,
            K = k,
            Count = count,
            PerTask = perTask,
            TransposeA = a.TransposeA,
            TransposeB = a.TransposeB,
            Alpha = a.Alpha,
            Beta = a.Beta,
            Scratch = Backend.FloatScratch.Ensure(checked(threads * scratchStride)),
            ScratchStride = scratchStride,
        };
        var tasks = (count + perTask - 1) / perTask;
        Backend.Pool.Run(ref task, tasks, parallel: tasks > 1 && (long)count * work >= 2 * TaskWork);
    }

    private struct SmallTask : IParallelTask
    {
        public float* A;
        public float* B;
        public float* C;
        public nint StrideA;
        public nint StrideB;
        public nint StrideC;
        public int M;
        public int N;
        public int K;
        public int Count;
        public int PerTask;
        public bool TransposeA;
        public bool TransposeB;
        public float Alpha;
        public float Beta;
        public float* Scratch;
        public int ScratchStride;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int index, int worker)
        {
            var panel = Scratch + ((nint)worker * ScratchStride);
            var row = panel + ((nint)K * N);
            var end = Math.Min(Count, (index + 1) * PerTask);
            for (var b = index * PerTask; b < end; b++)
            {
                Multiply(A + (b * StrideA), B + (b * StrideB), C + (b * StrideC), panel, row);
            }
        }

        /// <summary>C = α·op(A)·op(B) + β·C for one small matrix: op(B) packed K×N, then per row of C a sum of K scaled panel rows.</summary>
        private readonly void Multiply(float* a, float* b, float* c, float* panel, float* row)
        {
            int m = M, n = N, k = K;
            var packed = b;
            if (TransposeB)
            {
                for (var p = 0; p < k; p++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        panel[((nint)p * n) + j] = b[((nint)j * k) + p];
                    }
                }

                packed = panel;
            }

            var lanes = Vector<float>.Count;
            for (var i = 0; i < m; i++)
            {
                new Span<float>(row, n).Clear();
                for (var p = 0; p < k; p++)
                {
                    var av = TransposeA ? a[((nint)p * m) + i] : a[((nint)i * k) + p];
                    var scale = new Vector<float>(av);
                    var source = packed + ((nint)p * n);
                    var j = 0;
                    for (; j <= n - lanes; j += lanes)
                    {
                        var acc = Vector.Load(row + j);
                        Vector.FusedMultiplyAdd(scale, Vector.Load(source + j), acc).Store(row + j);
                    }

                    for (; j < n; j++)
                    {
                        row[j] = MathF.FusedMultiplyAdd(av, source[j], row[j]);
                    }
                }

                var output = c + ((nint)i * n);
                for (var j = 0; j < n; j++)
                {
                    output[j] = Beta == 0 ? Alpha * row[j] : MathF.FusedMultiplyAdd(Alpha, row[j], Beta * output[j]);
                }
            }
        }
    }
}
