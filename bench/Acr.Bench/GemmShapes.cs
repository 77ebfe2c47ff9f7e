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

    /// <summary>The training workload: Linear forward (x·Wᵀ) and backward (dy·W, dyᵀ·x) of a 16→128→128 MLP, batch 8192.</summary>
    public static readonly GemmShape[] Training =
    [
        new("fwd-8192x16*128x16T", false, true, 8192, 128, 16),
        new("fwd-8192x128*128x128T", false, true, 8192, 128, 128),
        new("dx-8192x128*128x128", false, false, 8192, 128, 128),
        new("dw-128x8192T*8192x128", true, false, 128, 128, 8192),
        new("dw-128x8192T*8192x16", true, false, 128, 16, 8192),
    ];

    /// <summary>All cases.</summary>
    public static GemmShape[] All => [.. Square, .. Training];
}
