namespace Acr.Bench;

/// <summary>One GEMM case: C[M×N] = op(A)·op(B).</summary>
public sealed record GemmShape(string Name, bool TransposeA, bool TransposeB, int M, int N, int K)
{
    /// <summary>Floating-point operations of one call (2·M·N·K).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>Stored shape of A.</summary>
    public (int Rows, int Columns) AShape => TransposeA ? (K, M) : (M, K);

    /// <summary>Stored shape of B.</summary>
    public (int Rows, int Columns) BShape => TransposeB ? (N, K) : (K, N);

    public override string ToString() => Name;

    /// <summary>The square sizes (256³, 1024³).</summary>
    public static readonly GemmShape[] Square =
    [
        new("nn-256", false, false, 256, 256, 256),
        new("nn-1024", false, false, 1024, 1024, 1024),
    ];

    /// <summary>
    /// The training workload: Linear forward and backward of a 16→128→128 MLP on a batch of 8192 rows.
    /// fwd-16: x[8192×16]·W[128×16]ᵀ; fwd-128: x[8192×128]·W[128×128]ᵀ; dx-128: dy[8192×128]·W[128×128];
    /// dw-128: dy[8192×128]ᵀ·x[8192×128]; dw-16: dy[8192×128]ᵀ·x[8192×16].
    /// </summary>
    public static readonly GemmShape[] Training =
    [
        new("fwd-16", false, true, 8192, 128, 16),
        new("fwd-128", false, true, 8192, 128, 128),
        new("dx-128", false, false, 8192, 128, 128),
        new("dw-128", true, false, 128, 128, 8192),
        new("dw-16", true, false, 128, 16, 8192),
    ];

    /// <summary>All cases.</summary>
    public static GemmShape[] All => [.. Square, .. Training];
}
