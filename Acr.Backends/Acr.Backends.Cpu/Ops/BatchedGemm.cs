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
        nint strideA = a.A.Shape[0] == 1 ? 0 : (nint)m * k, strideB = a.B.Shape[0] == 1 ? 0 : (nint)k * n, strideC = a.C.Shape[0] == 1 ? 0 : (nint)m * n;
        if (m == 0 || n == 0)
        {
            return;
        }

        // The first matrix's problem; matrix b is the same with A, B and C moved on by b strides.
        var first = new GemmProblem(a.TransposeA, a.TransposeB, m, n, k, a.Alpha, Pointer(a.A), Pointer(a.B), a.Beta, Pointer(a.C));
        var work = (long)m * n * Math.Max(k, 1);
        if (strideC == 0 || work >= LargeWork)
        {
            for (var b = 0; b < count; b++)
            {
                var problem = first;
                problem.A += b * strideA;
                problem.B += b * strideB;
                problem.C += b * strideC;
                problem.Beta = strideC == 0 && b > 0 ? 1f : a.Beta;
                GemmKernel.Run(Backend, problem);
            }

            return;
        }

        var perTask = (int)Math.Max(1, TaskWork / work);
        var threads = Backend.Pool.Threads;
        var scratchStride = (k * n) + n + Vector<float>.Count;
        var scratch = Backend.FloatScratch.Ensure(checked(threads * scratchStride));
        var task = new SmallTask(first, strideA, strideB, strideC, count, perTask, scratch, scratchStride);
        var tasks = (count + perTask - 1) / perTask;
        Backend.Pool.Run(ref task, tasks, parallel: tasks > 1 && (long)count * work >= 2 * TaskWork);
    }

    /// <summary>
    /// Batches <c>[index·perTask, (index + 1)·perTask)</c> of <paramref name="count"/>: matrix b is <paramref name="first"/>
    /// with A, B and C moved on by b strides; each worker packs op(B) into its own <paramref name="scratchStride"/>
    /// floats of <paramref name="scratch"/>.
    /// </summary>
    private readonly struct SmallTask(GemmProblem first, nint strideA, nint strideB, nint strideC, int count, int perTask,
        float* scratch, int scratchStride) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var panel = scratch + ((nint)worker * scratchStride);
            var row = panel + ((nint)first.K * first.N);
            var end = Math.Min(count, (index + 1) * perTask);
            for (var b = index * perTask; b < end; b++)
            {
                Multiply(first.A + (b * strideA), first.B + (b * strideB), first.C + (b * strideC), panel, row);
            }
        }

        /// <summary>C = α·op(A)·op(B) + β·C for one small matrix: op(B) packed K×N, then per row of C a sum of K scaled panel rows.</summary>
        private void Multiply(float* a, float* b, float* c, float* panel, float* row)
        {
            int m = first.M, n = first.N, k = first.K;
            float alpha = first.Alpha, beta = first.Beta;
            var packed = b;
            if (first.TransposeB)
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
                    var av = first.TransposeA ? a[((nint)p * m) + i] : a[((nint)i * k) + p];
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
                    output[j] = beta == 0 ? alpha * row[j] : MathF.FusedMultiplyAdd(alpha, row[j], beta * output[j]);
                }
            }
        }
    }
}
