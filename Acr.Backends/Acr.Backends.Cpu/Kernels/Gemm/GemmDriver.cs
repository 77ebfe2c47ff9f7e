namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>
/// The cache-blocked GEMM around a micro-kernel: the classic five loops. For each panel of op(B)
/// (columns <c>jc..jc+nc</c>, depths <c>kg..kg+kgLen</c>, sized to stay in the last-level cache) the
/// team first packs the panel into NR-wide slivers (phase 1), then computes C in independent tasks
/// (phase 2). A task owns a block of C rows (and, when rows are few, a group of slivers): for each K
/// block it packs its MC×KC block of op(A) into its private buffer and sweeps the register tiles,
/// B sliver outermost so the sliver stays in L1 while A streams from L2.
/// </summary>
/// <remarks>
/// <para><b>Determinism.</b> Every element of C is produced by exactly one task, from K blocks of the
/// fixed depth <c>TKernel.KC</c> taken in ascending order, each a chain of fused multiply-adds in k order,
/// folded into C as <c>fma(alpha, acc, beta·C)</c> (beta becomes 1 after the first block). None of this
/// depends on the thread count or on which thread runs a task, so results are bit-identical across both.
/// Edge tiles use the same kernel into a scratch tile and the same fold in scalar form.</para>
/// <para><b>Small problems</b> (<see cref="ParallelThreshold"/>) run entirely on the calling thread.</para>
/// </remarks>
internal static unsafe class GemmDriver<TKernel>
    where TKernel : IGemmMicroKernel
{
    /// <summary>Below this many multiply-adds (M·N·K) the GEMM stays on the calling thread.</summary>
    public const long ParallelThreshold = 1L << 17;

    /// <summary>Most floats of packed op(B) per panel (4 MiB), which bounds the pack buffer and the passes over C.</summary>
    private const int PanelBudget = 1 << 20;

    /// <summary>Most columns per panel.</summary>
    private const int NcMax = 4096;

    /// <summary>Smallest row block worth a task of its own when splitting rows among threads.</summary>
    private const int MinRowsPerTask = 64;

    /// <summary>Slivers of op(B) packed per phase-1 task.</summary>
    private const int SliversPerPackTask = 4;

    /// <summary>Runs the GEMM described by <paramref name="problem"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(in GemmProblem problem, WorkerPool pool, GemmWorkspace workspace)
    {
        int m = problem.M, n = problem.N, k = problem.K;
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            ScaleC(problem);
            if (problem.Bias is not null)
            {
                AddBias(problem.C, problem.Ldc, m, problem.Bias, n);
            }

            return;
        }

        int mr = TKernel.MR, nr = TKernel.NR, kcMax = TKernel.KC;
        var threads = pool.Threads > 1 && (long)m * n * k >= ParallelThreshold ? pool.Threads : 1;
        var workerStride = (TKernel.MC * kcMax) + (mr * nr) + 64;
        var workers = workspace.Workers(threads, workerStride);

        var ncMax = Math.Min(RoundUp(n, nr), NcMax);
        for (var jc = 0; jc < n; jc += ncMax)
        {
            var nc = Math.Min(ncMax, n - jc);
            var ncPad = RoundUp(nc, nr);
            var slivers = ncPad / nr;
            var kgMax = Math.Max(kcMax, PanelBudget / ncPad / kcMax * kcMax);
            for (var kg = 0; kg < k; kg += kgMax)
            {
                var kgLen = Math.Min(kgMax, k - kg);
                var blocks = (kgLen + kcMax - 1) / kcMax;
                var panel = workspace.Panel(kgLen * ncPad);

                // Phase 1: pack the op(B) panel, block by block, sliver group by sliver group.
                var packGroups = (slivers + SliversPerPackTask - 1) / SliversPerPackTask;
                var pack = new PackTask(problem, panel, kg, kgLen, jc, nc, ncPad, packGroups);
                pool.Run(ref pack, blocks * packGroups, parallel: threads > 1);

                // Phase 2: compute C in independent blocks of rows × sliver groups.
                Decompose(m, slivers, threads, out var mc, out var mTasks, out var groups, out var sliversPerGroup);
                var compute = new ComputeTask(problem, panel, workers, workerStride, kg, kgLen, jc, ncPad, slivers, mc, groups, sliversPerGroup);
                pool.Run(ref compute, mTasks * groups, parallel: threads > 1);
            }
        }
    }

    /// <summary>
    /// Splits M rows and the slivers of a panel into tasks. Rows are split first (blocks of at most MC rows,
    /// and, with several threads, into about two blocks per thread but not below <see cref="MinRowsPerTask"/>
    /// rows, the block count a multiple of the thread count for balance); slivers are split into groups only
    /// when there are still too few row blocks, since every group re-packs its rows of op(A).
    /// Only the work split depends on <paramref name="threads"/>; the arithmetic of each element does not.
    /// </summary>
    private static void Decompose(int m, int slivers, int threads, out int mc, out int mTasks, out int groups, out int sliversPerGroup)
    {
        var mr = TKernel.MR;
        var mBlocks = (m + TKernel.MC - 1) / TKernel.MC;
        if (threads > 1)
        {
            var finest = Math.Max(1, (m + MinRowsPerTask - 1) / MinRowsPerTask);
            mBlocks = Math.Max(mBlocks, Math.Min(2 * threads, finest));
            mBlocks = Math.Min(RoundUp(mBlocks, threads), (m + mr - 1) / mr);
        }

        mc = RoundUp((m + mBlocks - 1) / mBlocks, mr);
        mTasks = (m + mc - 1) / mc;
        groups = 1;
        if (threads > 1 && mTasks < 2 * threads)
        {
            groups = Math.Min(slivers, ((2 * threads) + mTasks - 1) / mTasks);
        }

        sliversPerGroup = (slivers + groups - 1) / groups;
        groups = (slivers + sliversPerGroup - 1) / sliversPerGroup;
    }

    /// <summary>K = 0: op(A)·op(B) is the zero matrix, so C = beta·C (zeros when beta is 0, without reading C).</summary>
    private static void ScaleC(in GemmProblem p)
    {
        var length = (nint)p.M * p.N;
        var span = new Span<float>(p.C, checked((int)length));
        if (p.Beta == 0)
        {
            span.Clear();
        }
        else
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(span, p.Beta, span);
        }
    }

    /// <summary><c>c[r, x] += bias[x]</c> for <paramref name="rows"/> rows of <paramref name="columns"/> values (the same bits as a separate row-vector add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddBias(float* c, nint ldc, int rows, float* bias, int columns)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = c + (r * ldc);
            var x = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; x <= columns - 16; x += 16)
                {
                    (Vector512.Load(row + x) + Vector512.Load(bias + x)).Store(row + x);
                }
            }

            if (Vector256.IsHardwareAccelerated)
            {
                for (; x <= columns - 8; x += 8)
                {
                    (Vector256.Load(row + x) + Vector256.Load(bias + x)).Store(row + x);
                }
            }

            for (; x < columns; x++)
            {
                row[x] += bias[x];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>
    /// Phase 1: packs the slivers of one K block × sliver group of the panel at <paramref name="panel"/>:
    /// columns <c>[j0, j0 + nc)</c> of op(B), padded to <paramref name="ncPad"/>, depths <c>[k0, k0 + kgLen)</c>,
    /// in <paramref name="groups"/> groups of slivers per K block.
    /// </summary>
    private readonly struct PackTask(GemmProblem problem, float* panel, int k0, int kgLen, int j0, int nc, int ncPad, int groups) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int nr = TKernel.NR, kcMax = TKernel.KC;
            var block = index / groups;
            var group = index % groups;
            var pc = block * kcMax;
            var kc = Math.Min(kcMax, kgLen - pc);
            var t0 = group * SliversPerPackTask * nr;
            var t1 = Math.Min(nc, t0 + (SliversPerPackTask * nr));

            // Block layout: block b starts at b·KC·NcPad; sliver t of it at t·nr·kc.
            var dst = panel + ((nint)pc * ncPad) + ((nint)t0 * kc);
            GemmPacking.PackB(problem.B, problem.Ldb, problem.TransposeB, k0 + pc, kc, j0 + t0, t1 - t0, nr, dst);
        }
    }

    /// <summary>
    /// Phase 2: one block of <paramref name="mc"/> C rows × one group of <paramref name="sliversPerGroup"/> slivers,
    /// over every K block of the panel that phase 1 packed (same <paramref name="k0"/>, <paramref name="kgLen"/>,
    /// <paramref name="j0"/>, <paramref name="ncPad"/>); each worker packs op(A) into its own
    /// <paramref name="workerStride"/> floats of <paramref name="workers"/>.
    /// </summary>
    private readonly struct ComputeTask(GemmProblem problem, float* panel, float* workers, int workerStride,
        int k0, int kgLen, int j0, int ncPad, int slivers, int mc, int groups, int sliversPerGroup) : IParallelTask
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            int mr = TKernel.MR, nr = TKernel.NR, kcMax = TKernel.KC;
            ref readonly var p = ref problem;
            var i0 = index / groups * mc;
            var rows = Math.Min(mc, p.M - i0);
            var s0 = index % groups * sliversPerGroup;
            var s1 = Math.Min(slivers, s0 + sliversPerGroup);
            var aPack = workers + ((nint)worker * workerStride);
            var tile = aPack + ((nint)TKernel.MC * kcMax);
            var ldc = p.Ldc;
            var alpha = p.Alpha;

            for (var pc = 0; pc < kgLen; pc += kcMax)
            {
                var kc = Math.Min(kcMax, kgLen - pc);
                GemmPacking.PackA(p.A, p.Lda, p.TransposeA, i0, rows, k0 + pc, kc, mr, aPack);
                var beta = k0 + pc == 0 ? p.Beta : 1f;
                var bias = k0 + pc + kc == p.K ? p.Bias : null;
                var bBlock = panel + ((nint)pc * ncPad);
                for (var s = s0; s < s1; s++)
                {
                    var j = j0 + (s * nr);
                    var nrLen = Math.Min(nr, p.N - j);
                    var bSliver = bBlock + ((nint)s * nr * kc);
                    for (var ir = 0; ir < rows; ir += mr)
                    {
                        var mrLen = Math.Min(mr, rows - ir);
                        var aSliver = aPack + ((nint)ir * kc);
                        var c = p.C + ((nint)(i0 + ir) * ldc) + j;
                        if (mrLen == mr && nrLen == nr)
                        {
                            TKernel.Run(kc, aSliver, bSliver, c, ldc, alpha, beta);
                        }
                        else
                        {
                            TKernel.Run(kc, aSliver, bSliver, tile, nr, 1f, 0f);
                            FoldEdge(tile, nr, c, ldc, mrLen, nrLen, alpha, beta);
                        }

                        if (bias is not null)
                        {
                            // The tile is complete and still in L1: the bias costs no extra pass over C.
                            AddBias(c, ldc, mrLen, bias + j, nrLen);
                        }
                    }
                }
            }
        }

        /// <summary>The micro-kernel's fold, in scalar form, for the valid part of an edge tile.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void FoldEdge(float* tile, int nr, float* c, nint ldc, int rows, int columns, float alpha, float beta)
        {
            for (var r = 0; r < rows; r++)
            {
                var t = tile + ((nint)r * nr);
                var cr = c + (r * ldc);
                if (beta == 0)
                {
                    for (var x = 0; x < columns; x++)
                    {
                        cr[x] = alpha * t[x];
                    }
                }
                else
                {
                    for (var x = 0; x < columns; x++)
                    {
                        cr[x] = MathF.FusedMultiplyAdd(alpha, t[x], beta * cr[x]);
                    }
                }
            }
        }
    }
}
