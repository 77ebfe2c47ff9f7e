namespace Acr.Compute;

/// <summary>
/// General matrix multiply on matrix views: <c>C = alpha · op(A) · op(B) + beta · C</c>, where
/// <c>op(X) = Xᵀ</c> if its flag is set. <c>op(A)</c> is M×K, <c>op(B)</c> is K×N, <c>C</c> is M×N.
/// When beta is 0, C is not read (NaN in C does not leak). C must not alias A or B.
/// </summary>
public sealed class GemmOp() : ComputeOp<GemmOp, GemmOp.Args>("gemm")
{
    /// <summary>The arguments.</summary>
    /// <param name="TransposeA">Use Aᵀ (A is stored K×M).</param>
    /// <param name="TransposeB">Use Bᵀ (B is stored N×K).</param>
    /// <param name="Alpha">Scale of the product.</param>
    /// <param name="A">Matrix A.</param>
    /// <param name="B">Matrix B.</param>
    /// <param name="Beta">Scale of the old C.</param>
    /// <param name="C">Matrix C, read (if beta ≠ 0) and written.</param>
    public readonly record struct Args(bool TransposeA, bool TransposeB, float Alpha, Tensor A, Tensor B, float Beta, Tensor C)
    {
        /// <summary>Rows of op(A) and C.</summary>
        public int M => TransposeA ? A.Shape.Columns : A.Shape.Rows;

        /// <summary>The inner dimension.</summary>
        public int K => TransposeA ? A.Shape.Rows : A.Shape.Columns;

        /// <summary>Columns of op(B) and C.</summary>
        public int N => TransposeB ? B.Shape.Rows : B.Shape.Columns;
    }

    /// <inheritdoc />
    protected internal override void Validate(OpValidator check, in Args a)
    {
        check.Floats((a.A, "a"), (a.B, "b"), (a.C, "c"));
        int m = a.M, k = a.K, n = a.N;
        var kb = a.TransposeB ? a.B.Shape.Columns : a.B.Shape.Rows;
        if (k != kb)
        {
            check.Fail(
                $"inner dimensions differ: op(A) is {m}×{k} (a has shape {a.A.Shape}{(a.TransposeA ? ", transposed" : string.Empty)}) " +
                $"but op(B) is {kb}×{n} (b has shape {a.B.Shape}{(a.TransposeB ? ", transposed" : string.Empty)}).", "b");
        }

        check.Matrix(a.C, m, n, "c");
        check.Distinct(a.C, a.A, "c", "a");
        check.Distinct(a.C, a.B, "c", "b");
    }

    /// <inheritdoc />
    protected internal override void Reference(in Args a, HostTensors host)
    {
        int m = a.M, n = a.N, k = a.K;
        var A = host.Read(a.A);
        var B = host.Read(a.B);
        var C = host.Write(a.C);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = a.TransposeA ? A[(p * m) + i] : A[(i * k) + p];
                    var bv = a.TransposeB ? B[(j * k) + p] : B[(p * n) + j];
                    s += (double)av * bv;
                }

                C[(i * n) + j] = (float)((a.Alpha * s) + (a.Beta == 0 ? 0 : a.Beta * (double)C[(i * n) + j]));
            }
        }
    }

    /// <summary>Odd sizes, vector-width edges (17, 33, 63–65, 127–129, 257), non-square shapes, K beyond one K block, M beyond one M block.</summary>
    internal static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 17, 3), (17, 1, 5), (3, 5, 1), (2, 2, 2), (7, 9, 13), (8, 32, 16), (16, 48, 64), (17, 33, 63),
        (33, 17, 65), (63, 64, 65), (64, 64, 64), (65, 63, 64), (127, 129, 17), (129, 127, 33), (1, 257, 129),
        (257, 1, 64), (33, 257, 65), (257, 33, 129), (257, 257, 257), (9, 300, 520), (300, 40, 600), (130, 70, 1000),
        (600, 33, 7), (512, 16, 128),
    ];

    private static readonly (float Alpha, float Beta)[] Scales = [(1f, 0f), (1f, 1f), (-0.5f, 2f), (2f, 0.25f)];

    /// <summary>Every transpose, shape and scale; with beta = 0, C starts as NaN (it must not be read). Bound per element: <c>(K + 4)·2⁻²³·(|α|·|A|·|B| + |β|·|C|)</c>.</summary>
    protected override IEnumerable<OpSample<Args>> Samples()
    {
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            for (var s = 0; s < Shapes.Length; s++)
            {
                var (m, n, k) = Shapes[s];
                var (alpha, beta) = Scales[s % Scales.Length];
                yield return Sample(ta, tb, m, n, k, alpha, beta, s);
                if (beta != 0)
                {
                    yield return Sample(ta, tb, m, n, k, alpha, 0f, s + 100);
                }
            }
        }
    }

    private static OpSample<Args> Sample(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int seed)
    {
        var aShape = ta ? TensorShape.Matrix(k, m) : TensorShape.Matrix(m, k);
        var bShape = tb ? TensorShape.Matrix(n, k) : TensorShape.Matrix(k, n);
        SampleTensor[] tensors =
        [
            SampleTensor.Of(aShape, SampleData.Uniform(m * k, seed)),
            SampleTensor.Of(bShape, SampleData.Uniform(k * n, seed + 1)),
            SampleTensor.Of(TensorShape.Matrix(m, n), beta == 0 ? SampleData.Filled(m * n, float.NaN) : SampleData.Uniform(m * n, seed + 2)),
        ];
        return new OpSample<Args>($"transA={ta} transB={tb} M={m} N={n} K={k} alpha={alpha} beta={beta}", tensors, t => new Args(ta, tb, alpha, t[0], t[1], beta, t[2]))
        {
            Bounds = (data, index) => index == 2 ? Bound(data, ta, tb, m, n, k, alpha, beta) : null,
        };
    }

    /// <summary>The forward-error bound of a length-K float dot product per element of C.</summary>
    internal static double[] Bound(IReadOnlyList<SampleTensor> data, bool ta, bool tb, int m, int n, int k, float alpha, float beta)
    {
        float[] A = data[0].Floats!, B = data[1].Floats!, C = data[2].Floats!;
        var bound = new double[m * n];
        var unit = (k + 4) * Math.Pow(2, -23);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++)
                {
                    s += Math.Abs((double)(ta ? A[(p * m) + i] : A[(i * k) + p])) * Math.Abs(tb ? B[(j * k) + p] : B[(p * n) + j]);
                }

                var c = beta == 0 ? 0 : Math.Abs(beta * (double)C[(i * n) + j]);
                bound[(i * n) + j] = unit * ((Math.Abs(alpha) * s) + c);
            }
        }

        return bound;
    }
}

/// <summary>Typed entry points of the contract's ops on <see cref="ComputeBackend"/>; each op's file adds its own.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1708:Identifiers should differ by more than case", Justification = "False positive on C# 14 extension blocks: each op file adds one block.")]
public static partial class BackendOps
{
    extension(ComputeBackend backend)
    {
        /// <summary><c>C = alpha · op(A) · op(B) + beta · C</c> (see <see cref="GemmOp"/>).</summary>
        public void Gemm(bool transposeA, bool transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c) => backend.Run(GemmOp.Instance, new GemmOp.Args(transposeA, transposeB, alpha, a, b, beta, c));
    }
}
