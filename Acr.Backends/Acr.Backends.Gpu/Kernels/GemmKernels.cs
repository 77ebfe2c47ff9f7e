namespace Acr.Backends.Gpu.Kernels;

/// <summary>
/// The tiled GEMM behind <c>gemm</c>, <c>linear</c> and <c>batched-gemm</c>:
/// <c>C_z = α·Σ_{b∈batches(z)} op(A_b)·op(B_b) + β·C_z (+ bias)</c>. A group of TX×TY threads computes a
/// (4·TY)×(4·TX) tile of C, each thread a 4×4 block held in registers (rows ty + r·TY, columns tx + c·TX, so neighbouring
/// threads read neighbouring shared-memory words). K advances in tiles of the shape's <see cref="IKernelShape.GemmKTile"/>: the group stages
/// op(A) and op(B) tiles in static shared memory (zero-padded at the ragged edges, loads walking the stored matrix's
/// contiguous dimension for every transpose), synchronises, and accumulates. Every element of C is one float sum over
/// b then k in ascending order within its K split, the splits then added in order (see <see cref="GemmShape.Splits"/>;
/// the split count depends only on the shape and the device): results are bit-identical from call to call and, because
/// the product is rounded before the bias is added, <c>linear</c> equals <c>gemm</c> followed by <c>add-row-vector</c>
/// bit for bit.
/// </summary>
internal static class GemmKernels
{
    /// <summary>
    /// The kernel (grid: column tiles × row tiles × C batches·K splits; group: TX×TY of <typeparamref name="TShape"/>).
    /// With <see cref="GemmShape.Splits"/> &gt; 1, z = batch·splits + split: the group sums k in
    /// [split·KPerSplit, (split + 1)·KPerSplit) only and stores the raw sums into <paramref name="partial"/>
    /// (splits × C batches × M × N), which <see cref="ReduceSplits"/> folds in split order and passes through the epilogue.
    /// </summary>
    public static void Gemm<TShape>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, ArrayView<float> partial, GemmShape p)
        where TShape : struct, IKernelShape
    {
        var shared = SharedMemory.Allocate<float>(default(TShape).GemmSharedFloats);
        int groupX = default(TShape).GemmThreadsX, groupY = default(TShape).GemmThreadsY, kTile = default(TShape).GemmKTile;
        int tx = Group.IdxX, ty = Group.IdxY;
        int threads = groupX * groupY;
        int tid = (ty * groupX) + tx;
        int tileM = 4 * groupY, tileN = 4 * groupX;
        int row0 = Grid.IdxY * tileM, col0 = Grid.IdxX * tileN;
        int z = Grid.IdxZ / p.Splits, split = Grid.IdxZ - (z * p.Splits);
        int m = p.M, n = p.N, k = p.K;
        int kBegin = split * p.KPerSplit, kEnd = Math.Min(k, kBegin + p.KPerSplit);
        int bOffset = kTile * tileM;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        int firstBatch = p.SumBatches != 0 ? 0 : z;
        int endBatch = p.SumBatches != 0 ? p.Count : z + 1;
        for (int batch = firstBatch; batch < endBatch; batch++)
        {
            int aBase = batch * p.StrideA, bBase = batch * p.StrideB;
            for (int k0 = kBegin; k0 < kEnd; k0 += kTile)
            {
                for (int e = tid; e < kTile * tileM; e += threads)
                {
                    int mm, kk;
                    if (p.TransposeA != 0)
                    {
                        mm = e % tileM;
                        kk = e / tileM;
                    }
                    else
                    {
                        kk = e % kTile;
                        mm = e / kTile;
                    }

                    int gm = row0 + mm, gk = k0 + kk;
                    float v = 0f;
                    if (gm < m && gk < kEnd)
                    {
                        v = p.TransposeA != 0 ? a[aBase + (gk * m) + gm] : a[aBase + (gm * k) + gk];
                    }

                    shared[(kk * tileM) + mm] = v;
                }

                for (int e = tid; e < kTile * tileN; e += threads)
                {
                    int nn, kk;
                    if (p.TransposeB != 0)
                    {
                        kk = e % kTile;
                        nn = e / kTile;
                    }
                    else
                    {
                        nn = e % tileN;
                        kk = e / tileN;
                    }

                    int gn = col0 + nn, gk = k0 + kk;
                    float v = 0f;
                    if (gn < n && gk < kEnd)
                    {
                        v = p.TransposeB != 0 ? b[bBase + (gn * k) + gk] : b[bBase + (gk * n) + gn];
                    }

                    shared[bOffset + (kk * tileN) + nn] = v;
                }

                Group.Barrier();
                int kCount = Math.Min(kTile, kEnd - k0);
                for (int kk = 0; kk < kCount; kk++)
                {
                    int ar = (kk * tileM) + ty, br = bOffset + (kk * tileN) + tx;
                    float a0 = shared[ar], a1 = shared[ar + groupY], a2 = shared[ar + (2 * groupY)], a3 = shared[ar + (3 * groupY)];
                    float b0 = shared[br], b1 = shared[br + groupX], b2 = shared[br + (2 * groupX)], b3 = shared[br + (3 * groupX)];
                    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
                }

                Group.Barrier();
            }
        }

        int r0 = row0 + ty, q0 = col0 + tx;
        if (p.Splits > 1)
        {
            // Raw sums of this split; the epilogue runs once, after the splits are folded.
            int pBase = ((split * p.ZCount) + z) * m * n;
            StoreRaw(partial, p, pBase, r0, q0, groupX, c00, c01, c02, c03);
            StoreRaw(partial, p, pBase, r0 + groupY, q0, groupX, c10, c11, c12, c13);
            StoreRaw(partial, p, pBase, r0 + (2 * groupY), q0, groupX, c20, c21, c22, c23);
            StoreRaw(partial, p, pBase, r0 + (3 * groupY), q0, groupX, c30, c31, c32, c33);
            return;
        }

        int cBase = z * p.StrideC;
        Store(c, bias, p, cBase, r0, q0, groupX, c00, c01, c02, c03);
        Store(c, bias, p, cBase, r0 + groupY, q0, groupX, c10, c11, c12, c13);
        Store(c, bias, p, cBase, r0 + (2 * groupY), q0, groupX, c20, c21, c22, c23);
        Store(c, bias, p, cBase, r0 + (3 * groupY), q0, groupX, c30, c31, c32, c33);
    }

    /// <summary>
    /// The large-tile GEMM for big products (grid: column tiles × row tiles × C batches; group: TX×TY of
    /// <typeparamref name="TShape"/>): each thread keeps an 8×8 block of C in registers (rows ty + r·TY, columns tx + c·TX),
    /// so a (8·TY)×(8·TX) tile reads 16 shared-memory words per 64 multiply-adds (the 4×4 kernel reads 8 per 16), over K
    /// tiles of <see cref="IKernelShape.LargeGemmKTile"/>. Same accumulation order as <see cref="Gemm"/> (b, then k
    /// ascending), same epilogue; no K split (it is chosen only when the tiles alone fill the device).
    /// </summary>
    public static void GemmLarge<TShape>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmShape p)
        where TShape : struct, IKernelShape
    {
        var shared = SharedMemory.Allocate<float>(default(TShape).LargeGemmSharedFloats);
        int groupX = default(TShape).GemmThreadsX, groupY = default(TShape).GemmThreadsY, kTile = default(TShape).LargeGemmKTile;
        int tx = Group.IdxX, ty = Group.IdxY;
        int threads = groupX * groupY;
        int tid = (ty * groupX) + tx;
        int tileM = 8 * groupY, tileN = 8 * groupX;
        int row0 = Grid.IdxY * tileM, col0 = Grid.IdxX * tileN;
        int z = Grid.IdxZ;
        int m = p.M, n = p.N, k = p.K;
        int bOffset = kTile * tileM;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
        float c40 = 0, c41 = 0, c42 = 0, c43 = 0, c44 = 0, c45 = 0, c46 = 0, c47 = 0;
        float c50 = 0, c51 = 0, c52 = 0, c53 = 0, c54 = 0, c55 = 0, c56 = 0, c57 = 0;
        float c60 = 0, c61 = 0, c62 = 0, c63 = 0, c64 = 0, c65 = 0, c66 = 0, c67 = 0;
        float c70 = 0, c71 = 0, c72 = 0, c73 = 0, c74 = 0, c75 = 0, c76 = 0, c77 = 0;

        int firstBatch = p.SumBatches != 0 ? 0 : z;
        int endBatch = p.SumBatches != 0 ? p.Count : z + 1;
        for (int batch = firstBatch; batch < endBatch; batch++)
        {
            int aBase = batch * p.StrideA, bBase = batch * p.StrideB;
            for (int k0 = 0; k0 < k; k0 += kTile)
            {
                StageA(a, shared, p, aBase, row0, k0, tid, threads, tileM, kTile);
                StageB(b, shared, p, bBase, col0, k0, tid, threads, tileN, kTile, bOffset);
                Group.Barrier();
                int kCount = Math.Min(kTile, k - k0);
                for (int kk = 0; kk < kCount; kk++)
                {
                    int ar = (kk * tileM) + ty, br = bOffset + (kk * tileN) + tx;
                    float a0 = shared[ar], a1 = shared[ar + (1 * groupY)], a2 = shared[ar + (2 * groupY)], a3 = shared[ar + (3 * groupY)], a4 = shared[ar + (4 * groupY)], a5 = shared[ar + (5 * groupY)], a6 = shared[ar + (6 * groupY)], a7 = shared[ar + (7 * groupY)];
                    float b0 = shared[br], b1 = shared[br + (1 * groupX)], b2 = shared[br + (2 * groupX)], b3 = shared[br + (3 * groupX)], b4 = shared[br + (4 * groupX)], b5 = shared[br + (5 * groupX)], b6 = shared[br + (6 * groupX)], b7 = shared[br + (7 * groupX)];
                    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
                    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
                    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
                    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
                    c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3; c44 += a4 * b4; c45 += a4 * b5; c46 += a4 * b6; c47 += a4 * b7;
                    c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3; c54 += a5 * b4; c55 += a5 * b5; c56 += a5 * b6; c57 += a5 * b7;
                    c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3; c64 += a6 * b4; c65 += a6 * b5; c66 += a6 * b6; c67 += a6 * b7;
                    c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3; c74 += a7 * b4; c75 += a7 * b5; c76 += a7 * b6; c77 += a7 * b7;
                }

                Group.Barrier();
            }
        }

        int cBase = z * p.StrideC;
        int r0 = row0 + ty, q0 = col0 + tx;
        Store(c, bias, p, cBase, r0, q0, groupX, c00, c01, c02, c03);
        Store(c, bias, p, cBase, r0, q0 + (4 * groupX), groupX, c04, c05, c06, c07);
        Store(c, bias, p, cBase, r0 + (1 * groupY), q0, groupX, c10, c11, c12, c13);
        Store(c, bias, p, cBase, r0 + (1 * groupY), q0 + (4 * groupX), groupX, c14, c15, c16, c17);
        Store(c, bias, p, cBase, r0 + (2 * groupY), q0, groupX, c20, c21, c22, c23);
        Store(c, bias, p, cBase, r0 + (2 * groupY), q0 + (4 * groupX), groupX, c24, c25, c26, c27);
        Store(c, bias, p, cBase, r0 + (3 * groupY), q0, groupX, c30, c31, c32, c33);
        Store(c, bias, p, cBase, r0 + (3 * groupY), q0 + (4 * groupX), groupX, c34, c35, c36, c37);
        Store(c, bias, p, cBase, r0 + (4 * groupY), q0, groupX, c40, c41, c42, c43);
        Store(c, bias, p, cBase, r0 + (4 * groupY), q0 + (4 * groupX), groupX, c44, c45, c46, c47);
        Store(c, bias, p, cBase, r0 + (5 * groupY), q0, groupX, c50, c51, c52, c53);
        Store(c, bias, p, cBase, r0 + (5 * groupY), q0 + (4 * groupX), groupX, c54, c55, c56, c57);
        Store(c, bias, p, cBase, r0 + (6 * groupY), q0, groupX, c60, c61, c62, c63);
        Store(c, bias, p, cBase, r0 + (6 * groupY), q0 + (4 * groupX), groupX, c64, c65, c66, c67);
        Store(c, bias, p, cBase, r0 + (7 * groupY), q0, groupX, c70, c71, c72, c73);
        Store(c, bias, p, cBase, r0 + (7 * groupY), q0 + (4 * groupX), groupX, c74, c75, c76, c77);
    }

    /// <summary>Stages a kTile × tileM tile of op(A) in shared memory (zero-padded), walking A's contiguous dimension.</summary>
    private static void StageA(ArrayView<float> a, ArrayView<float> shared, GemmShape p, int aBase, int row0, int k0, int tid, int threads, int tileM, int kTile)
    {
        for (int e = tid; e < kTile * tileM; e += threads)
        {
            int mm, kk;
            if (p.TransposeA != 0)
            {
                mm = e % tileM;
                kk = e / tileM;
            }
            else
            {
                kk = e % kTile;
                mm = e / kTile;
            }

            int gm = row0 + mm, gk = k0 + kk;
            float v = 0f;
            if (gm < p.M && gk < p.K)
            {
                v = p.TransposeA != 0 ? a[aBase + (gk * p.M) + gm] : a[aBase + (gm * p.K) + gk];
            }

            shared[(kk * tileM) + mm] = v;
        }
    }

    /// <summary>Stages a kTile × tileN tile of op(B) in shared memory at <paramref name="offset"/> (zero-padded), walking B's contiguous dimension.</summary>
    private static void StageB(ArrayView<float> b, ArrayView<float> shared, GemmShape p, int bBase, int col0, int k0, int tid, int threads, int tileN, int kTile, int offset)
    {
        for (int e = tid; e < kTile * tileN; e += threads)
        {
            int nn, kk;
            if (p.TransposeB != 0)
            {
                kk = e % kTile;
                nn = e / kTile;
            }
            else
            {
                nn = e % tileN;
                kk = e / tileN;
            }

            int gn = col0 + nn, gk = k0 + kk;
            float v = 0f;
            if (gn < p.N && gk < p.K)
            {
                v = p.TransposeB != 0 ? b[bBase + (gn * p.K) + gk] : b[bBase + (gk * p.N) + gn];
            }

            shared[offset + (kk * tileN) + nn] = v;
        }
    }


    /// <summary>
    /// Second pass of a split-K GEMM, one thread per element of C: acc = Σ_split partial[split] in split order (float),
    /// then the epilogue of <see cref="Gemm"/>. Grid-stride over ZCount·M·N elements.
    /// </summary>
    public static void ReduceSplits(ArrayView<float> partial, ArrayView<float> c, ArrayView<float> bias, GemmShape p)
    {
        int stride = Grid.DimX * Group.DimX;
        int mn = p.M * p.N;
        int total = p.ZCount * mn;
        for (int e = Grid.GlobalIndex.X; e < total; e += stride)
        {
            float acc = 0f;
            for (int s = 0; s < p.Splits; s++)
            {
                acc += partial[(s * total) + e];
            }

            int z = e / mn;
            int inMatrix = e - (z * mn);
            int row = inMatrix / p.N;
            int col = inMatrix - (row * p.N);
            Epilogue(c, bias, p, (z * p.StrideC) + (row * p.N), col, acc);
        }
    }

    /// <summary>Writes one thread's four raw sums of one row into a split's partial matrix.</summary>
    private static void StoreRaw(ArrayView<float> partial, GemmShape p, int pBase, int row, int col, int step, float v0, float v1, float v2, float v3)
    {
        if (row >= p.M)
        {
            return;
        }

        int at = pBase + (row * p.N);
        if (col < p.N)
        {
            partial[at + col] = v0;
        }

        if (col + step < p.N)
        {
            partial[at + col + step] = v1;
        }

        if (col + (2 * step) < p.N)
        {
            partial[at + col + (2 * step)] = v2;
        }

        if (col + (3 * step) < p.N)
        {
            partial[at + col + (3 * step)] = v3;
        }
    }

    /// <summary>Writes one thread's four outputs of one row (columns col, col + step, …) through the epilogue.</summary>
    private static void Store(ArrayView<float> c, ArrayView<float> bias, GemmShape p, int cBase, int row, int col, int step, float v0, float v1, float v2, float v3)
    {
        if (row >= p.M)
        {
            return;
        }

        int at = cBase + (row * p.N);
        Epilogue(c, bias, p, at, col, v0);
        Epilogue(c, bias, p, at, col + step, v1);
        Epilogue(c, bias, p, at, col + (2 * step), v2);
        Epilogue(c, bias, p, at, col + (3 * step), v3);
    }

    /// <summary>c = α·acc (+ β·c when β ≠ 0; C is not read otherwise) (+ bias[col], after rounding).</summary>
    private static void Epilogue(ArrayView<float> c, ArrayView<float> bias, GemmShape p, int rowStart, int col, float acc)
    {
        if (col >= p.N)
        {
            return;
        }

        float v = p.Alpha * acc;
        if (p.Beta != 0)
        {
            v += p.Beta * c[rowStart + col];
        }

        if (p.HasBias != 0)
        {
            v += bias[col];
        }

        c[rowStart + col] = v;
    }
}

/// <summary>The scalars of <see cref="GemmKernels.Gemm"/>.</summary>
/// <param name="M">Rows of op(A) and C.</param>
/// <param name="N">Columns of op(B) and C.</param>
/// <param name="K">The inner dimension.</param>
/// <param name="TransposeA">1 when A is stored K×M.</param>
/// <param name="TransposeB">1 when B is stored N×K.</param>
/// <param name="Alpha">Scale of the product.</param>
/// <param name="Beta">Scale of the old C (0: C is not read).</param>
/// <param name="StrideA">Elements between A matrices (0 broadcasts one).</param>
/// <param name="StrideB">Elements between B matrices (0 broadcasts one).</param>
/// <param name="StrideC">Elements between C matrices.</param>
/// <param name="Count">The batch count.</param>
/// <param name="SumBatches">1 when one C receives the sum over the batch.</param>
/// <param name="HasBias">1 to add bias[column] after rounding the product.</param>
/// <param name="ZCount">The C matrices written: 1 when the batch is summed, else Count.</param>
/// <param name="Splits">K splits (1: no split; the epilogue runs in the GEMM kernel).</param>
/// <param name="KPerSplit">The K range of one split (a multiple of the K tile).</param>
internal readonly record struct GemmShape(int M, int N, int K, int TransposeA, int TransposeB, float Alpha, float Beta,
    int StrideA, int StrideB, int StrideC, int Count, int SumBatches, int HasBias, int ZCount, int Splits, int KPerSplit);
