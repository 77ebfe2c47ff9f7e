namespace Acr.Compute
{
    /// <summary>
    /// Many GEMMs in one call, on batches of matrices (rank-3 tensors <c>[batch, rows, columns]</c>):
    /// <c>C_b = alpha · op(A_b) · op(B_b) + beta · C_b</c> for b in [0, n), with op as in <see cref="GemmOp"/>
    /// (op(A_b) M×K, op(B_b) K×N, C_b M×N). A batch dimension of 1 broadcasts: A or B of batch 1 is shared by every
    /// b; C of batch 1 receives the sum over b, <c>C = alpha · Σ_b op(A_b) · op(B_b) + beta · C</c>, summed in
    /// batch order (a weight shared across the batch gets its gradient this way). n is the largest batch of the
    /// three; each is 1 or n. When beta is 0, C is not read. C must not alias A or B.
    /// </summary>
    public sealed class BatchedGemmOp() : ComputeOp<BatchedGemmOp, BatchedGemmOp.Args>("batched-gemm")
    {
        /// <summary>The arguments.</summary>
        /// <param name="TransposeA">Use A_bᵀ (A is stored [batch, K, M]).</param>
        /// <param name="TransposeB">Use B_bᵀ (B is stored [batch, N, K]).</param>
        /// <param name="Alpha">Scale of the products.</param>
        /// <param name="A">Batch of A matrices, [1 or n, …].</param>
        /// <param name="B">Batch of B matrices, [1 or n, …].</param>
        /// <param name="Beta">Scale of the old C.</param>
        /// <param name="C">Batch of C matrices, [1 or n, M, N].</param>
        public readonly record struct Args(bool TransposeA, bool TransposeB, float Alpha, Tensor A, Tensor B, float Beta, Tensor C)
        {
            /// <summary>Rows of op(A_b) and C_b.</summary>
            public int M => TransposeA ? A.Shape[2] : A.Shape[1];

            /// <summary>The inner dimension.</summary>
            public int K => TransposeA ? A.Shape[1] : A.Shape[2];

            /// <summary>Columns of op(B_b) and C_b.</summary>
            public int N => TransposeB ? B.Shape[1] : B.Shape[2];

            /// <summary>The batch count n.</summary>
            public int Count => Math.Max(A.Shape[0], Math.Max(B.Shape[0], C.Shape[0]));
        }

        /// <inheritdoc />
        protected internal override void Validate(OpValidator check, in Args a)
        {
            check.Floats((a.A, "a"), (a.B, "b"), (a.C, "c"));
            check.Batch(a.A, "a");
            check.Batch(a.B, "b");
            check.Batch(a.C, "c");
            int m = a.M, k = a.K, n = a.N, count = a.Count;
            var kb = a.TransposeB ? a.B.Shape[2] : a.B.Shape[1];
            if (k != kb)
            {
                check.Fail($"inner dimensions differ: op(A_b) is {m}×{k} (a has shape {a.A.Shape}{(a.TransposeA ? ", transposed" : string.Empty)}) " +
                    $"but op(B_b) is {kb}×{n} (b has shape {a.B.Shape}{(a.TransposeB ? ", transposed" : string.Empty)}).", "b");
            }

            foreach (var (t, name) in new[] { (a.A, "a"), (a.B, "b"), (a.C, "c") })
            {
                if (t.Shape[0] != 1 && t.Shape[0] != count)
                {
                    check.Fail($"{name} has a batch of {t.Shape[0]} but another argument has {count}; each batch is 1 (broadcast) or {count}.", name);
                }
            }

            if (a.C.Shape[1] != m || a.C.Shape[2] != n)
            {
                check.Fail($"c must hold {m}×{n} matrices (op(A_b) is {m}×{k}, op(B_b) is {k}×{n}); got shape {a.C.Shape}.", "c");
            }

            check.Distinct(a.C, a.A, "c", "a");
            check.Distinct(a.C, a.B, "c", "b");
        }

        /// <inheritdoc />
        protected internal override void Reference(in Args a, HostTensors host)
        {
            int m = a.M, n = a.N, k = a.K, count = a.Count;
            var A = host.Read(a.A);
            var B = host.Read(a.B);
            var C = host.Write(a.C);
            int strideA = a.A.Shape[0] == 1 ? 0 : m * k, strideB = a.B.Shape[0] == 1 ? 0 : k * n, strideC = a.C.Shape[0] == 1 ? 0 : m * n;
            var sums = new double[a.C.Length];
            for (var b = 0; b < count; b++)
            {
                for (var i = 0; i < m; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        double s = 0;
                        for (var p = 0; p < k; p++)
                        {
                            var av = a.TransposeA ? A[(b * strideA) + (p * m) + i] : A[(b * strideA) + (i * k) + p];
                            var bv = a.TransposeB ? B[(b * strideB) + (j * k) + p] : B[(b * strideB) + (p * n) + j];
                            s += (double)av * bv;
                        }

                        sums[(b * strideC) + (i * n) + j] += s;
                    }
                }
            }

            for (var e = 0; e < C.Length; e++)
            {
                C[e] = (float)((a.Alpha * sums[e]) + (a.Beta == 0 ? 0 : a.Beta * (double)C[e]));
            }
        }

        /// <summary>
        /// Many tiny GEMMs (the NTL Gram matrices), a few large ones (the NTL transformations), broadcast A or B, a
        /// batch summed into C, every transpose; with beta = 0, C starts as NaN. Bound per element: (batch·K + 4)·2⁻²³·(|α|·Σ|A||B| + |β|·|C|).
        /// </summary>
        protected override IEnumerable<OpSample<Args>> Samples()
        {
            var shapes = new (int Batch, int M, int N, int K, int BatchA, int BatchB, int BatchC)[]
            {
                (1, 1, 1, 1, 1, 1, 1), (3, 2, 3, 4, 3, 3, 3), (64, 20, 20, 32, 64, 64, 64), (17, 5, 7, 1, 17, 17, 17), (5, 33, 17, 65, 5, 5, 5),
                (19, 128, 16, 40, 1, 19, 19), (4, 64, 3, 9, 4, 1, 4), (6, 7, 5, 11, 6, 6, 1), (3, 9, 300, 130, 3, 3, 3), (2, 257, 129, 33, 2, 2, 2),
            };
            var seed = 0;
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
            {
                foreach (var (batch, m, n, k, ba, bb, bc) in shapes)
                {
                    foreach (var (alpha, beta) in new[] { (1f, 0f), (-0.5f, 2f) })
                    {
                        seed++;
                        var aShape = ta ? new TensorShape(ba, k, m) : new TensorShape(ba, m, k);
                        var bShape = tb ? new TensorShape(bb, n, k) : new TensorShape(bb, k, n);
                        var cShape = new TensorShape(bc, m, n);
                        SampleTensor[] tensors =
                        [
                            SampleTensor.Of(aShape, SampleData.Uniform(aShape.Length, seed)),
                            SampleTensor.Of(bShape, SampleData.Uniform(bShape.Length, seed + 1000)),
                            SampleTensor.Of(cShape, beta == 0 ? SampleData.Filled(cShape.Length, float.NaN) : SampleData.Uniform(cShape.Length, seed + 2000)),
                        ];
                        var name = $"transA={ta} transB={tb} batch={batch} (A {ba}, B {bb}, C {bc}) M={m} N={n} K={k} alpha={alpha} beta={beta}";
                        yield return new OpSample<Args>(name, tensors, t => new Args(ta, tb, alpha, t[0], t[1], beta, t[2]))
                        {
                            Bounds = (data, index) => index == 2 ? Bound(data, ta, tb, batch, m, n, k, alpha, beta) : null,
                        };
                    }
                }
            }
        }

        private static double[] Bound(IReadOnlyList<SampleTensor> data, bool ta, bool tb, int count, int m, int n, int k, float alpha, float beta)
        {
            float[] A = data[0].Floats!, B = data[1].Floats!, C = data[2].Floats!;
            int strideA = data[0].Shape[0] == 1 ? 0 : m * k, strideB = data[1].Shape[0] == 1 ? 0 : k * n, strideC = data[2].Shape[0] == 1 ? 0 : m * n;
            var terms = data[2].Shape[0] == 1 ? count * k : k;
            var unit = (terms + 4) * Math.Pow(2, -23);
            var bound = new double[C.Length];
            for (var b = 0; b < count; b++)
            {
                for (var i = 0; i < m; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        double s = 0;
                        for (var p = 0; p < k; p++)
                        {
                            s += Math.Abs((double)(ta ? A[(b * strideA) + (p * m) + i] : A[(b * strideA) + (i * k) + p])) * Math.Abs(tb ? B[(b * strideB) + (j * k) + p] : B[(b * strideB) + (p * n) + j]);
                        }

                        bound[(b * strideC) + (i * n) + j] += unit * Math.Abs(alpha) * s;
                    }
                }
            }

            for (var e = 0; e < bound.Length; e++)
            {
                bound[e] += beta == 0 ? 0 : unit * Math.Abs(beta * (double)C[e]);
            }

            return bound;
        }
    }

    public static partial class BackendOps
    {
        extension(ComputeBackend backend)
        {
            /// <summary><c>C_b = alpha · op(A_b) · op(B_b) + beta · C_b</c> over a batch of matrices (see <see cref="BatchedGemmOp"/>).</summary>
            public void BatchedGemm(bool transposeA, bool transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c) => backend.Run(BatchedGemmOp.Instance, new BatchedGemmOp.Args(transposeA, transposeB, alpha, a, b, beta, c));
        }
    }
}

namespace Acr.Autograd
{
    public static partial class Ops
    {
        /// <summary>
        /// Batched matrix product <c>C_b = A_b · op(B_b)</c> (<see cref="BatchedGemmOp"/>): A is [1 or n, M, K], B is
        /// [1 or n, K, N] (or [1 or n, N, K] with <paramref name="transposeB"/>), C is [n, M, N]; a batch of 1 broadcasts, and its
        /// gradient is summed over the batch. Backward: <c>dA_b = dC_b · op(B_b)ᵀ</c>, <c>dB_b = A_bᵀ · dC_b</c> (or its transpose).
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="a">Batch of A.</param>
        /// <param name="b">Batch of B.</param>
        /// <param name="transposeB">Multiply by B_bᵀ.</param>
        public static Variable BatchedMatMul(Tape tape, Variable a, Variable b, bool transposeB = false)
        {
            Guard.NotNull(tape, a, b);
            if (a.Shape.Rank != 3 || b.Shape.Rank != 3)
            {
                throw new ArgumentException($"BatchedMatMul takes batches of matrices, shape [batch, rows, columns]; got {a.Shape} and {b.Shape}.", a.Shape.Rank != 3 ? nameof(a) : nameof(b));
            }

            var count = Math.Max(a.Shape[0], b.Shape[0]);
            var y = tape.NewVariable(new TensorShape(count, a.Shape[1], transposeB ? b.Shape[1] : b.Shape[2]), AnyRequiresGrad(a, b));
            tape.Backend.BatchedGemm(false, transposeB, 1f, a.Value, b.Value, 0f, y.Value);
            return tape.Record(new TapeEntry(BatchedMatMulRule.Instance, y, a, b, Flags: transposeB ? 1 : 0));
        }

        /// <summary>
        /// The Gram matrix of every group of <paramref name="groupSize"/> consecutive rows: z (G·V × D) gives G V×V matrices
        /// <c>S[g, a, b] = z[gV + a] · z[gV + b]</c>, shape [G, V, V]. Of L2-normalised rows (<c>RowL2Normalize</c>)
        /// these are the cosine similarities NTL compares its views with. Built from <see cref="Reshape"/> and <see cref="BatchedMatMul"/>.
        /// </summary>
        /// <param name="tape">The tape.</param>
        /// <param name="z">Rows, G·V × D.</param>
        /// <param name="groupSize">Rows per group V.</param>
        /// <exception cref="ArgumentException">The rows do not split into groups of <paramref name="groupSize"/>.</exception>
        public static Variable GroupGram(Tape tape, Variable z, int groupSize)
        {
            Guard.NotNull(tape, z);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groupSize);
            if (z.Shape.Rows % groupSize != 0)
            {
                throw new ArgumentException($"GroupGram: {z.Shape.Rows} rows do not split into groups of {groupSize}.", nameof(groupSize));
            }

            var groups = Reshape(tape, z, new TensorShape(z.Shape.Rows / groupSize, groupSize, z.Shape.Columns));
            return BatchedMatMul(tape, groups, groups, transposeB: true);
        }

        private sealed class BatchedMatMulRule() : GradientRule<BatchedMatMulRule>("batched-matmul")
        {
            public override void Backward(Tape tape, in TapeEntry entry)
            {
                var backend = tape.Backend;
                var dc = entry.Output.Grad!;
                var a = entry.A;
                var b = entry.B!;
                var transposeB = entry.Flags != 0;
                if (a.RequiresGrad)
                {
                    // dA = dC · op(B)ᵀ: with op(B) = B that is dC·Bᵀ, with op(B) = Bᵀ it is dC·B. A batch-1 dA sums over the batch.
                    var da = tape.GradientFor(a, out var acc);
                    backend.BatchedGemm(false, !transposeB, 1f, dc, b.Value, acc ? 1f : 0f, da);
                }

                if (b.RequiresGrad)
                {
                    // dB = Aᵀ · dC (B stored K×N), or dCᵀ · A (B stored N×K).
                    var db = tape.GradientFor(b, out var acc);
                    if (transposeB)
                    {
                        backend.BatchedGemm(true, false, 1f, dc, a.Value, acc ? 1f : 0f, db);
                    }
                    else
                    {
                        backend.BatchedGemm(true, false, 1f, a.Value, dc, acc ? 1f : 0f, db);
                    }
                }
            }

            public override IEnumerable<GradientCheck> GradientChecks()
            {
                var rng = new SeededRandom(13);
                yield return new GradientCheck("[3, 2, 4] · [3, 4, 5]", [GradientLeaf.Random(rng, new TensorShape(3, 2, 4)), GradientLeaf.Random(rng, new TensorShape(3, 4, 5))],
                    (t, v, _) => BatchedMatMul(t, v[0], v[1]));
                yield return new GradientCheck("[3, 2, 4] · [3, 5, 4]ᵀ", [GradientLeaf.Random(rng, new TensorShape(3, 2, 4)), GradientLeaf.Random(rng, new TensorShape(3, 5, 4))],
                    (t, v, _) => BatchedMatMul(t, v[0], v[1], transposeB: true));
                yield return new GradientCheck("shared input [1, 3, 2] · per-batch weights [4, 6, 2]ᵀ", [GradientLeaf.Random(rng, new TensorShape(1, 3, 2)), GradientLeaf.Random(rng, new TensorShape(4, 6, 2))],
                    (t, v, _) => BatchedMatMul(t, v[0], v[1], transposeB: true));
                yield return new GradientCheck("per-batch inputs [4, 3, 2] · shared weight [1, 2, 5]", [GradientLeaf.Random(rng, new TensorShape(4, 3, 2)), GradientLeaf.Random(rng, new TensorShape(1, 2, 5))],
                    (t, v, _) => BatchedMatMul(t, v[0], v[1]));
                yield return new GradientCheck("Gram matrices of 3 groups of 4 rows", [GradientLeaf.Random(rng, TensorShape.Matrix(12, 3))],
                    (t, v, _) => GroupGram(t, v[0], 4));
            }
        }
    }
}
