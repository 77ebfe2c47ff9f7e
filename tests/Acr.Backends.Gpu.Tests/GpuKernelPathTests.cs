using Acr.Compute;
using Acr.Detectors;
using Acr.Host.Composition;
using Acr.Host.Evaluation;
using Acr.Host.Preprocessing;
using Acr.Numerics;
using Acr.Tensors;
using Acr.Testing;
using Xunit.Abstractions;

namespace Acr.Backends.Gpu.Tests;

/// <summary>
/// The kernel paths the conformance samples do not reach on the simulator (its device is small, so its GEMMs split K
/// only for shapes the samples lack), checked against the CPU backend and for bit-identical repeats; and the launch
/// count of one letter-protocol training step, which the issue wants to be a few dozen.
/// </summary>
public sealed class GpuKernelPathTests(ITestOutputHelper output) : IDisposable
{
    private readonly GpuBackend _gpu = GpuBackendProvider.CreateSimulated(poison: true);
    private readonly Acr.Backends.Cpu.CpuBackend _cpu = new(1);

    public void Dispose()
    {
        _gpu.Dispose();
        _cpu.Dispose();
    }

    [Fact]
    public void A_gemm_with_few_tiles_and_a_long_k_splits_k_and_matches_the_cpu_backend_bit_identically_from_call_to_call()
    {
        // 20×12 is two 16×16-tile groups on the simulator, fewer than it keeps busy (4), and K = 1100 gives 2 splits.
        const int m = 20, n = 12, k = 1100;
        var a = TestData.Random(k * m, 1);
        var b = TestData.Random(k * n, 2);
        var c0 = TestData.Random(m * n, 3);
        float[] Run(ComputeBackend backend)
        {
            using var ta = TestData.Tensor(backend, TensorShape.Matrix(k, m), a);
            using var tb = TestData.Tensor(backend, TensorShape.Matrix(k, n), b);
            using var tc = TestData.Tensor(backend, TensorShape.Matrix(m, n), c0);
            backend.Gemm(true, false, 0.5f, ta, tb, 2f, tc); // the weight-gradient shape: Aᵀ·B over the rows
            return tc.ToArray();
        }

        var before = _gpu.LaunchesByKernel.GetValueOrDefault("Gemm.ReduceSplits");
        var first = Run(_gpu);
        Assert.Equal(before + 1, _gpu.LaunchesByKernel["Gemm.ReduceSplits"]);
        TestData.AssertBitIdentical(first, Run(_gpu), "split-K repeat");
        TestData.AssertClose(Run(_cpu), first, 1e-4, "split-K gemm");

        // linear over the split path still equals gemm followed by add-row-vector, bit for bit.
        var x = TestData.Random(m * k, 4);
        var w = TestData.Random(n * k, 5);
        var bias = TestData.Random(n, 6);
        using var tx = TestData.Tensor(_gpu, TensorShape.Matrix(m, k), x);
        using var tw = TestData.Tensor(_gpu, TensorShape.Matrix(n, k), w);
        using var tbias = TestData.Tensor(_gpu, TensorShape.Vector(n), bias);
        using var linear = _gpu.Allocate(TensorShape.Matrix(m, n));
        using var product = _gpu.Allocate(TensorShape.Matrix(m, n));
        _gpu.Linear(tx, tw, tbias, linear);
        _gpu.Gemm(false, true, 1f, tx, tw, 0f, product);
        _gpu.AddRowVector(product, tbias, product);
        TestData.AssertBitIdentical(product.ToArray(), linear.ToArray(), "linear = gemm + add-row-vector");
        Assert.Equal(before + 4, _gpu.LaunchesByKernel["Gemm.ReduceSplits"]);
    }

    [Fact]
    public void A_big_gemm_takes_the_large_tile_kernel_for_every_transpose_and_matches_the_cpu_backend()
    {
        // 70×45 over K = 37 with ragged 32×32 tiles (the simulator's large tile): 3×2 groups, more than it keeps busy.
        const int m = 70, n = 45, k = 37;
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var a = TestData.Random(m * k, 11);
            var b = TestData.Random(k * n, 12);
            var c0 = TestData.Random(m * n, 13);
            float[] Run(ComputeBackend backend)
            {
                using var tA = TestData.Tensor(backend, ta ? TensorShape.Matrix(k, m) : TensorShape.Matrix(m, k), a);
                using var tB = TestData.Tensor(backend, tb ? TensorShape.Matrix(n, k) : TensorShape.Matrix(k, n), b);
                using var tC = TestData.Tensor(backend, TensorShape.Matrix(m, n), c0);
                backend.Gemm(ta, tb, -1.5f, tA, tB, 0.5f, tC);
                return tC.ToArray();
            }

            var before = _gpu.LaunchesByKernel.GetValueOrDefault("Gemm.GemmLarge");
            var gpu = Run(_gpu);
            Assert.Equal(before + 1, _gpu.LaunchesByKernel["Gemm.GemmLarge"]);
            TestData.AssertClose(Run(_cpu), gpu, 1e-4, $"large-tile gemm transA={ta} transB={tb}");
        }

        // Batched, one C per batch and one C receiving the sum over the batch (B broadcast), on the same kernel.
        const int batch = 3, bm = 40, bn = 36, bk = 20;
        foreach (var cBatch in new[] { batch, 1 })
        {
            var a = TestData.Random(batch * bm * bk, 14);
            var b = TestData.Random(bk * bn, 15);
            var c0 = TestData.Random(cBatch * bm * bn, 16);
            float[] Run(ComputeBackend backend)
            {
                using var tA = TestData.Tensor(backend, new TensorShape(batch, bm, bk), a);
                using var tB = TestData.Tensor(backend, new TensorShape(1, bk, bn), b);
                using var tC = TestData.Tensor(backend, new TensorShape(cBatch, bm, bn), c0);
                backend.BatchedGemm(false, false, 1f, tA, tB, 1f, tC);
                return tC.ToArray();
            }

            var before = _gpu.LaunchesByKernel.GetValueOrDefault("Gemm.GemmLarge");
            var gpu = Run(_gpu);
            Assert.Equal(before + 1, _gpu.LaunchesByKernel["Gemm.GemmLarge"]);
            TestData.AssertClose(Run(_cpu), gpu, 1e-4, $"large-tile batched gemm, C batch {cBatch}");
        }
    }

    [Fact]
    public void Column_reductions_over_many_rows_run_in_two_passes_and_match_the_cpu_backend()
    {
        const int rows = 3001, columns = 7;
        var x = TestData.Random(rows * columns, 7);
        var g = TestData.Random(rows, 8);
        var center = TestData.Random(columns, 9);
        var y0 = TestData.Random(columns, 10);
        (float[] Sum, float[] Center) Run(ComputeBackend backend)
        {
            using var tx = TestData.Tensor(backend, TensorShape.Matrix(rows, columns), x);
            using var ty = TestData.Tensor(backend, TensorShape.Vector(columns), y0);
            backend.ColumnSum(tx, ty, true);
            using var tg = TestData.Tensor(backend, TensorShape.Vector(rows), g);
            using var tc = TestData.Tensor(backend, TensorShape.Vector(columns), center);
            using var dz = backend.Allocate(tx.Shape);
            using var dc = backend.Allocate(TensorShape.Vector(columns));
            backend.RowSquaredDistanceBackward(tx, tc, tg, dz, false, dc, false);
            return (ty.ToArray(), dc.ToArray());
        }

        var gpu = Run(_gpu);
        Assert.Equal(2, _gpu.LaunchesByKernel["Reduction.ColumnFinish"]);
        Assert.Equal(1, _gpu.LaunchesByKernel["Reduction.ColumnPartials"]);
        Assert.Equal(1, _gpu.LaunchesByKernel["Reduction.DistanceCenterPartials"]);
        var again = Run(_gpu);
        TestData.AssertBitIdentical(gpu.Sum, again.Sum, "column-sum repeat");
        TestData.AssertBitIdentical(gpu.Center, again.Center, "centre gradient repeat");
        var cpu = Run(_cpu);
        TestData.AssertClose(cpu.Sum, gpu.Sum, 1e-5, "column-sum");
        TestData.AssertClose(cpu.Center, gpu.Center, 1e-5, "centre gradient");
    }

    [Fact]
    public void A_letter_protocol_training_step_takes_a_few_dozen_launches()
    {
        // The letter data and Deep SVDD with its default options (3 hidden blocks of 128, embedding 32), as acr bench runs
        // it, on a backend without poisoning (which fills every new allocation). The tasks are smaller, so the simulator
        // is quick, but with 128 rows the column reductions take their two-pass path as at 8192 rows; what a real device
        // adds at the letter shape is one split-K fold per weight-gradient GEMM (K = 8192 rows over few tiles).
        using var gpu = GpuBackendProvider.CreateSimulated();
        var data = EmbeddedDatasets.Letter();
        var split = ClassSplit.ByLabel(data.Labels!);
        var x = Standardizer.Fit(data.Features, data.Columns, split.AllTrainRows()).Transform(data.Features);
        using var acr = Acr.Host.AcrRuntime.Load();
        var detector = acr.Registry.GetDetector("deep-svdd");
        using var model = detector.CreateModel(new DetectorModelSpec(data.Columns, DetectorOptionResolver.Resolve(detector, null), 0), gpu);
        var options = new MetaTrainingOptions { TasksPerIteration = 2, TaskSize = 64 };
        var sampler = TaskSampler.Create(x, data.Columns, split.TrainRowsByClass, options, SeededRandom.ForStream(0, 2));
        using var session = new MetaTrainingSession(gpu, model, sampler, options);
        session.SampleTasks();
        session.Step();
        var launches = gpu.KernelLaunches;
        var byKernel = gpu.LaunchesByKernel;
        session.SampleTasks();
        session.Step();
        var step = gpu.KernelLaunches - launches;
        var breakdown = string.Join(", ", gpu.LaunchesByKernel.Select(kv => (kv.Key, Count: kv.Value - byKernel.GetValueOrDefault(kv.Key))).Where(p => p.Count > 0).Select(p => $"{p.Key} {p.Count}"));
        output.WriteLine($"launches per training step: {step} ({breakdown})");
        Assert.True(double.IsFinite(session.LastLoss()));
        // 4 linear layers forward and backward, 4 batch norms, the distance, the objective and Adam per parameter (17).
        Assert.InRange(step, 40, 70);
    }
}
