namespace Acr.Backends.Cpu.Kernels.Gemm;

/// <summary>One GEMM call, <c>C = alpha·op(A)·op(B) + beta·C (+ bias)</c>, in pointer form; constructed in BLAS sgemm order.</summary>
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
internal unsafe struct GemmProblem(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float* a, float* b, float beta, float* c, float* bias = null)
{
    /// <summary>A as stored (M×K, or K×M when <see cref="TransposeA"/>).</summary>
    public float* A = a;

    /// <summary>B as stored (K×N, or N×K when <see cref="TransposeB"/>).</summary>
    public float* B = b;

    /// <summary>C, M×N row-major.</summary>
    public float* C = c;

    /// <summary>
    /// Optional row vector (N elements) added to every row of C after the product, or null:
    /// <c>C = alpha·op(A)·op(B) + beta·C + bias</c>, each element rounded exactly as the product followed by
    /// a separate row-vector add.
    /// </summary>
    public float* Bias = bias;

    /// <summary>Rows of op(A) and C.</summary>
    public int M = m;

    /// <summary>Columns of op(B) and C.</summary>
    public int N = n;

    /// <summary>Inner dimension.</summary>
    public int K = k;

    /// <summary>Whether op(A) = Aᵀ.</summary>
    public bool TransposeA = transposeA;

    /// <summary>Whether op(B) = Bᵀ.</summary>
    public bool TransposeB = transposeB;

    /// <summary>Scale of the product.</summary>
    public float Alpha = alpha;

    /// <summary>Scale of the old C (0: C is not read).</summary>
    public float Beta = beta;

    /// <summary>Row stride of the stored A.</summary>
    public readonly nint Lda => TransposeA ? M : K;

    /// <summary>Row stride of the stored B.</summary>
    public readonly nint Ldb => TransposeB ? K : N;

    /// <summary>Row stride of C.</summary>
    public readonly nint Ldc => N;
}
