namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>One GEMM call, <c>C = alpha·op(A)·op(B) + beta·C</c>, in pointer form.</summary>
internal unsafe struct GemmProblem
{
    /// <summary>Describes <c>C = alpha·op(A)·op(B) + beta·C (+ bias)</c>; the parameters in BLAS sgemm order.</summary>
    /// <param name="transposeA">Whether op(A) = Aᵀ.</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A as stored.</param>
    /// <param name="b">B as stored.</param>
    /// <param name="beta">Scale of the old C (0: C is not read).</param>
    /// <param name="c">C, M×N row-major.</param>
    /// <param name="bias">Optional row vector added to every row of C (see <see cref="Bias"/>), or null.</param>
    public GemmProblem(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float* a, float* b, float beta, float* c, float* bias = null)
    {
        TransposeA = transposeA;
        TransposeB = transposeB;
        M = m;
        N = n;
        K = k;
        Alpha = alpha;
        A = a;
        B = b;
        Beta = beta;
        C = c;
        Bias = bias;
    }

    /// <summary>A as stored (M×K, or K×M when <see cref="TransposeA"/>).</summary>
    public float* A;

    /// <summary>B as stored (K×N, or N×K when <see cref="TransposeB"/>).</summary>
    public float* B;

    /// <summary>C, M×N row-major.</summary>
    public float* C;

    /// <summary>
    /// Optional row vector (N elements) added to every row of C after the product, or null:
    /// <c>C = alpha·op(A)·op(B) + beta·C + bias</c>, each element rounded exactly as the product followed by
    /// a separate row-vector add.
    /// </summary>
    public float* Bias;

    /// <summary>Rows of op(A) and C.</summary>
    public int M;

    /// <summary>Columns of op(B) and C.</summary>
    public int N;

    /// <summary>Inner dimension.</summary>
    public int K;

    /// <summary>Whether op(A) = Aᵀ.</summary>
    public bool TransposeA;

    /// <summary>Whether op(B) = Bᵀ.</summary>
    public bool TransposeB;

    /// <summary>Scale of the product.</summary>
    public float Alpha;

    /// <summary>Scale of the old C (0: C is not read).</summary>
    public float Beta;

    /// <summary>Row stride of the stored A.</summary>
    public readonly nint Lda => TransposeA ? M : K;

    /// <summary>Row stride of the stored B.</summary>
    public readonly nint Ldb => TransposeB ? K : N;

    /// <summary>Row stride of C.</summary>
    public readonly nint Ldc => N;
}
