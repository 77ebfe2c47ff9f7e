namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>
/// AVX-512 (Vector512) micro-kernel: a 8×32 tile of C held in 16 Vector512 accumulators. Per k it loads
/// 2 vectors of the B sliver, broadcasts 8 values of the A sliver and issues 16 fused multiply-adds.
/// </summary>
internal readonly unsafe struct MicroKernel512 : IGemmMicroKernel
{
    /// <inheritdoc />
    public static int MR => 8;

    /// <inheritdoc />
    public static int NR => 32;

    /// <inheritdoc />
    public static int KC => 1024;

    /// <inheritdoc />
    public static int MC => 128;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero; var c51 = Vector512<float>.Zero;
        var c60 = Vector512<float>.Zero; var c61 = Vector512<float>.Zero;
        var c70 = Vector512<float>.Zero; var c71 = Vector512<float>.Zero;
        for (nint k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            a += 8;
            b += 32;
        }

        var va = Vector512.Create(alpha);
        if (beta == 0)
        {
            var q0 = c;
            (va * c00).Store(q0);
            (va * c01).Store(q0 + 16);
            var q1 = c + (1 * ldc);
            (va * c10).Store(q1 + 0);
            (va * c11).Store(q1 + 16);
            var q2 = c + (2 * ldc);
            (va * c20).Store(q2 + 0);
            (va * c21).Store(q2 + 16);
            var q3 = c + (3 * ldc);
            (va * c30).Store(q3 + 0);
            (va * c31).Store(q3 + 16);
            var q4 = c + (4 * ldc);
            (va * c40).Store(q4 + 0);
            (va * c41).Store(q4 + 16);
            var q5 = c + (5 * ldc);
            (va * c50).Store(q5 + 0);
            (va * c51).Store(q5 + 16);
            var q6 = c + (6 * ldc);
            (va * c60).Store(q6 + 0);
            (va * c61).Store(q6 + 16);
            var q7 = c + (7 * ldc);
            (va * c70).Store(q7 + 0);
            (va * c71).Store(q7 + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            var p0 = c;
            Vector512.FusedMultiplyAdd(va, c00, vb * Vector512.Load(p0)).Store(p0);
            Vector512.FusedMultiplyAdd(va, c01, vb * Vector512.Load(p0 + 16)).Store(p0 + 16);
            var p1 = c + (1 * ldc);
            Vector512.FusedMultiplyAdd(va, c10, vb * Vector512.Load(p1 + 0)).Store(p1 + 0);
            Vector512.FusedMultiplyAdd(va, c11, vb * Vector512.Load(p1 + 16)).Store(p1 + 16);
            var p2 = c + (2 * ldc);
            Vector512.FusedMultiplyAdd(va, c20, vb * Vector512.Load(p2 + 0)).Store(p2 + 0);
            Vector512.FusedMultiplyAdd(va, c21, vb * Vector512.Load(p2 + 16)).Store(p2 + 16);
            var p3 = c + (3 * ldc);
            Vector512.FusedMultiplyAdd(va, c30, vb * Vector512.Load(p3 + 0)).Store(p3 + 0);
            Vector512.FusedMultiplyAdd(va, c31, vb * Vector512.Load(p3 + 16)).Store(p3 + 16);
            var p4 = c + (4 * ldc);
            Vector512.FusedMultiplyAdd(va, c40, vb * Vector512.Load(p4 + 0)).Store(p4 + 0);
            Vector512.FusedMultiplyAdd(va, c41, vb * Vector512.Load(p4 + 16)).Store(p4 + 16);
            var p5 = c + (5 * ldc);
            Vector512.FusedMultiplyAdd(va, c50, vb * Vector512.Load(p5 + 0)).Store(p5 + 0);
            Vector512.FusedMultiplyAdd(va, c51, vb * Vector512.Load(p5 + 16)).Store(p5 + 16);
            var p6 = c + (6 * ldc);
            Vector512.FusedMultiplyAdd(va, c60, vb * Vector512.Load(p6 + 0)).Store(p6 + 0);
            Vector512.FusedMultiplyAdd(va, c61, vb * Vector512.Load(p6 + 16)).Store(p6 + 16);
            var p7 = c + (7 * ldc);
            Vector512.FusedMultiplyAdd(va, c70, vb * Vector512.Load(p7 + 0)).Store(p7 + 0);
            Vector512.FusedMultiplyAdd(va, c71, vb * Vector512.Load(p7 + 16)).Store(p7 + 16);
        }
    }
}
