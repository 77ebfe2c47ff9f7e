namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>
/// AVX-512 (Vector512) micro-kernel for narrow C (N ≤ 16): a 16×16 tile of C held in 16 Vector512 accumulators. Per k it loads
/// 1 vector of the B sliver, broadcasts 16 values of the A sliver and issues 16 fused multiply-adds.
/// </summary>
internal readonly unsafe struct MicroKernel512Narrow : IGemmMicroKernel
{
    /// <inheritdoc />
    public static int MR => 16;

    /// <inheritdoc />
    public static int NR => 16;

    /// <inheritdoc />
    /// <remarks>The 8×32 kernel's: K is cut into the same blocks, so a narrow C gets the same bits from either kernel.</remarks>
    public static int KC => MicroKernel512.KC;

    /// <inheritdoc />
    public static int MC => 128;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        var c00 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero;
        var c60 = Vector512<float>.Zero;
        var c70 = Vector512<float>.Zero;
        var c80 = Vector512<float>.Zero;
        var c90 = Vector512<float>.Zero;
        var c100 = Vector512<float>.Zero;
        var c110 = Vector512<float>.Zero;
        var c120 = Vector512<float>.Zero;
        var c130 = Vector512<float>.Zero;
        var c140 = Vector512<float>.Zero;
        var c150 = Vector512<float>.Zero;
        for (nint k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            var a8 = Vector512.Create(a[8]);
            c80 = Vector512.FusedMultiplyAdd(a8, b0, c80);
            var a9 = Vector512.Create(a[9]);
            c90 = Vector512.FusedMultiplyAdd(a9, b0, c90);
            var a10 = Vector512.Create(a[10]);
            c100 = Vector512.FusedMultiplyAdd(a10, b0, c100);
            var a11 = Vector512.Create(a[11]);
            c110 = Vector512.FusedMultiplyAdd(a11, b0, c110);
            var a12 = Vector512.Create(a[12]);
            c120 = Vector512.FusedMultiplyAdd(a12, b0, c120);
            var a13 = Vector512.Create(a[13]);
            c130 = Vector512.FusedMultiplyAdd(a13, b0, c130);
            var a14 = Vector512.Create(a[14]);
            c140 = Vector512.FusedMultiplyAdd(a14, b0, c140);
            var a15 = Vector512.Create(a[15]);
            c150 = Vector512.FusedMultiplyAdd(a15, b0, c150);
            a += 16;
            b += 16;
        }

        var va = Vector512.Create(alpha);
        if (beta == 0)
        {
            var q0 = c;
            (va * c00).Store(q0);
            var q1 = c + (1 * ldc);
            (va * c10).Store(q1 + 0);
            var q2 = c + (2 * ldc);
            (va * c20).Store(q2 + 0);
            var q3 = c + (3 * ldc);
            (va * c30).Store(q3 + 0);
            var q4 = c + (4 * ldc);
            (va * c40).Store(q4 + 0);
            var q5 = c + (5 * ldc);
            (va * c50).Store(q5 + 0);
            var q6 = c + (6 * ldc);
            (va * c60).Store(q6 + 0);
            var q7 = c + (7 * ldc);
            (va * c70).Store(q7 + 0);
            var q8 = c + (8 * ldc);
            (va * c80).Store(q8 + 0);
            var q9 = c + (9 * ldc);
            (va * c90).Store(q9 + 0);
            var q10 = c + (10 * ldc);
            (va * c100).Store(q10 + 0);
            var q11 = c + (11 * ldc);
            (va * c110).Store(q11 + 0);
            var q12 = c + (12 * ldc);
            (va * c120).Store(q12 + 0);
            var q13 = c + (13 * ldc);
            (va * c130).Store(q13 + 0);
            var q14 = c + (14 * ldc);
            (va * c140).Store(q14 + 0);
            var q15 = c + (15 * ldc);
            (va * c150).Store(q15 + 0);
        }
        else
        {
            var vb = Vector512.Create(beta);
            var p0 = c;
            Vector512.FusedMultiplyAdd(va, c00, vb * Vector512.Load(p0)).Store(p0);
            var p1 = c + (1 * ldc);
            Vector512.FusedMultiplyAdd(va, c10, vb * Vector512.Load(p1 + 0)).Store(p1 + 0);
            var p2 = c + (2 * ldc);
            Vector512.FusedMultiplyAdd(va, c20, vb * Vector512.Load(p2 + 0)).Store(p2 + 0);
            var p3 = c + (3 * ldc);
            Vector512.FusedMultiplyAdd(va, c30, vb * Vector512.Load(p3 + 0)).Store(p3 + 0);
            var p4 = c + (4 * ldc);
            Vector512.FusedMultiplyAdd(va, c40, vb * Vector512.Load(p4 + 0)).Store(p4 + 0);
            var p5 = c + (5 * ldc);
            Vector512.FusedMultiplyAdd(va, c50, vb * Vector512.Load(p5 + 0)).Store(p5 + 0);
            var p6 = c + (6 * ldc);
            Vector512.FusedMultiplyAdd(va, c60, vb * Vector512.Load(p6 + 0)).Store(p6 + 0);
            var p7 = c + (7 * ldc);
            Vector512.FusedMultiplyAdd(va, c70, vb * Vector512.Load(p7 + 0)).Store(p7 + 0);
            var p8 = c + (8 * ldc);
            Vector512.FusedMultiplyAdd(va, c80, vb * Vector512.Load(p8 + 0)).Store(p8 + 0);
            var p9 = c + (9 * ldc);
            Vector512.FusedMultiplyAdd(va, c90, vb * Vector512.Load(p9 + 0)).Store(p9 + 0);
            var p10 = c + (10 * ldc);
            Vector512.FusedMultiplyAdd(va, c100, vb * Vector512.Load(p10 + 0)).Store(p10 + 0);
            var p11 = c + (11 * ldc);
            Vector512.FusedMultiplyAdd(va, c110, vb * Vector512.Load(p11 + 0)).Store(p11 + 0);
            var p12 = c + (12 * ldc);
            Vector512.FusedMultiplyAdd(va, c120, vb * Vector512.Load(p12 + 0)).Store(p12 + 0);
            var p13 = c + (13 * ldc);
            Vector512.FusedMultiplyAdd(va, c130, vb * Vector512.Load(p13 + 0)).Store(p13 + 0);
            var p14 = c + (14 * ldc);
            Vector512.FusedMultiplyAdd(va, c140, vb * Vector512.Load(p14 + 0)).Store(p14 + 0);
            var p15 = c + (15 * ldc);
            Vector512.FusedMultiplyAdd(va, c150, vb * Vector512.Load(p15 + 0)).Store(p15 + 0);
        }
    }
}
