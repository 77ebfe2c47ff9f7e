namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>
/// AVX2/FMA (Vector256) micro-kernel: a 6×16 tile of C held in 12 Vector256 accumulators. Per k it loads
/// 2 vectors of the B sliver, broadcasts 6 values of the A sliver and issues 12 fused multiply-adds.
/// </summary>
internal readonly unsafe struct MicroKernel256 : IGemmMicroKernel
{
    /// <inheritdoc />
    public static int MR => 6;

    /// <inheritdoc />
    public static int NR => 16;

    /// <inheritdoc />
    public static int KC => 256;

    /// <inheritdoc />
    public static int MC => 120;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        var c00 = Vector256<float>.Zero; var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero; var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero; var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero; var c31 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero; var c41 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero; var c51 = Vector256<float>.Zero;
        for (nint k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            a += 6;
            b += 16;
        }

        var va = Vector256.Create(alpha);
        if (beta == 0)
        {
            var q0 = c;
            (va * c00).Store(q0);
            (va * c01).Store(q0 + 8);
            var q1 = c + (1 * ldc);
            (va * c10).Store(q1 + 0);
            (va * c11).Store(q1 + 8);
            var q2 = c + (2 * ldc);
            (va * c20).Store(q2 + 0);
            (va * c21).Store(q2 + 8);
            var q3 = c + (3 * ldc);
            (va * c30).Store(q3 + 0);
            (va * c31).Store(q3 + 8);
            var q4 = c + (4 * ldc);
            (va * c40).Store(q4 + 0);
            (va * c41).Store(q4 + 8);
            var q5 = c + (5 * ldc);
            (va * c50).Store(q5 + 0);
            (va * c51).Store(q5 + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            var p0 = c;
            Vector256.FusedMultiplyAdd(va, c00, vb * Vector256.Load(p0)).Store(p0);
            Vector256.FusedMultiplyAdd(va, c01, vb * Vector256.Load(p0 + 8)).Store(p0 + 8);
            var p1 = c + (1 * ldc);
            Vector256.FusedMultiplyAdd(va, c10, vb * Vector256.Load(p1 + 0)).Store(p1 + 0);
            Vector256.FusedMultiplyAdd(va, c11, vb * Vector256.Load(p1 + 8)).Store(p1 + 8);
            var p2 = c + (2 * ldc);
            Vector256.FusedMultiplyAdd(va, c20, vb * Vector256.Load(p2 + 0)).Store(p2 + 0);
            Vector256.FusedMultiplyAdd(va, c21, vb * Vector256.Load(p2 + 8)).Store(p2 + 8);
            var p3 = c + (3 * ldc);
            Vector256.FusedMultiplyAdd(va, c30, vb * Vector256.Load(p3 + 0)).Store(p3 + 0);
            Vector256.FusedMultiplyAdd(va, c31, vb * Vector256.Load(p3 + 8)).Store(p3 + 8);
            var p4 = c + (4 * ldc);
            Vector256.FusedMultiplyAdd(va, c40, vb * Vector256.Load(p4 + 0)).Store(p4 + 0);
            Vector256.FusedMultiplyAdd(va, c41, vb * Vector256.Load(p4 + 8)).Store(p4 + 8);
            var p5 = c + (5 * ldc);
            Vector256.FusedMultiplyAdd(va, c50, vb * Vector256.Load(p5 + 0)).Store(p5 + 0);
            Vector256.FusedMultiplyAdd(va, c51, vb * Vector256.Load(p5 + 8)).Store(p5 + 8);
        }
    }
}
