using Acr.Compute;
using Acr.Tensors;

namespace Acr.Testing;

/// <summary>
/// The backend-agnostic conformance suite. Every op of the contract is found by reflection and checked
/// against the scalar reference on its own samples (<see cref="ComputeOp.CheckConformance"/>): adding an op
/// adds its check here with no edit. The facts below pin what samples cannot express: memory and stream
/// semantics, contract identities (fused = unfused, bit for bit), and the argument rules and their messages.
/// A backend subclasses the suite with a factory.
/// </summary>
public abstract class BackendConformanceSuite : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>Creates the suite over a backend made by <paramref name="factory"/> (one per test).</summary>
    protected BackendConformanceSuite(Func<ComputeBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Backend = factory();
    }

    /// <summary>The backend under test.</summary>
    protected ComputeBackend Backend { get; }

    /// <summary>Whether the backend is expected to have its own kernel for every op of the contract (false for a backend that runs them on the host).</summary>
    protected virtual bool HasKernelForEveryOp => true;

    /// <summary>Every op of the contract, by name.</summary>
    public static TheoryData<string> ContractOps()
    {
        var data = new TheoryData<string>();
        foreach (var op in ComputeOp.Discover(typeof(ComputeOp).Assembly))
        {
            data.Add(op.Name);
        }

        return data;
    }

    /// <summary>The contract op named <paramref name="name"/>.</summary>
    public static ComputeOp ContractOp(string name) => ComputeOp.Discover(typeof(ComputeOp).Assembly).Single(o => o.Name == name);

    /// <summary>Disposes the backend under test (and what the suite allocated).</summary>
    public void Dispose()
    {
        foreach (var t in _owned)
        {
            t.Dispose();
        }

        Backend.Dispose();
        GC.SuppressFinalize(this);
    }

    // ------------------------------------------------------------------ every op against the reference

    /// <summary>Checks: Op matches the scalar reference on every sample.</summary>
    /// <param name="op">The op's name (one case per op of the contract).</param>
    [Theory]
    [MemberData(nameof(ContractOps))]
    public void Op_matches_the_scalar_reference_on_every_sample(string op)
    {
        var report = ContractOp(op).CheckConformance(Backend);
        Assert.True(report.Samples > 0, $"{op} has no conformance samples.");
        Assert.True(report.Passed, $"{op} on {report.Backend}: {string.Join(Environment.NewLine, report.Failures)}");
    }

    /// <summary>Checks: Op has a kernel or runs on the host as the backend declares.</summary>
    /// <param name="op">The op's name (one case per op of the contract).</param>
    [Theory]
    [MemberData(nameof(ContractOps))]
    public void Op_has_a_kernel_or_runs_on_the_host_as_the_backend_declares(string op)
    {
        var support = Backend.Support(ContractOp(op));
        if (HasKernelForEveryOp)
        {
            Assert.Equal(KernelSupport.Kernel, support);
        }
        else
        {
            Assert.NotEqual(KernelSupport.Unsupported, support);
        }
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Keeps <paramref name="disposable"/> to dispose with the suite, and returns it.</summary>
    /// <typeparam name="T">Its type.</typeparam>
    /// <param name="disposable">A tensor, segments or anything else the test allocated.</param>
    protected T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>A tensor of the backend under test holding <paramref name="values"/>, disposed with the suite.</summary>
    /// <param name="shape">Its shape.</param>
    /// <param name="values">Its elements, row-major.</param>
    protected Tensor Mine(TensorShape shape, float[] values) => Own(TestData.Tensor(Backend, shape, values));

    /// <summary>An uninitialised tensor of the backend under test, disposed with the suite.</summary>
    /// <param name="shape">Its dimensions.</param>
    protected Tensor Mine(params int[] shape) => Own(Backend.Allocate(new TensorShape(shape)));

    /// <summary>Batch segments of the backend under test, disposed with the suite.</summary>
    /// <param name="lengths">The length of each segment, in rows.</param>
    protected BatchSegments Segments(params int[] lengths) => Own(BatchSegments.Create(Backend, lengths));

    private static float[] Filled(int n, float value) => Enumerable.Repeat(value, n).ToArray();

    private static TensorShape V(int n) => TensorShape.Vector(n);

    private static TensorShape M(int r, int c) => TensorShape.Matrix(r, c);

    // ------------------------------------------------------------------ memory and stream semantics

    /// <summary>Checks: Allocate gives the requested shape and type and Fill writes every element.</summary>
    [Fact]
    public void Allocate_gives_the_requested_shape_and_type_and_Fill_writes_every_element()
    {
        foreach (var shape in new[] { V(1), M(3, 5), new TensorShape(2, 3, 4), TensorShape.Scalar, V(1000) })
        {
            var t = Mine(shape.ToArray());
            Assert.Equal(shape, t.Shape);
            Assert.Equal(DataType.Float32, t.DataType);
            Assert.Same(Backend, t.Backend);
            Backend.Fill(t, 3f);
            Assert.All(t.ToArray(), v => Assert.Equal(3f, v));
            var i = Own(Backend.Allocate(shape, DataType.Int32));
            Assert.Equal(DataType.Int32, i.DataType);
            Backend.Fill(i, -7);
            Assert.All(i.ToInt32Array(), v => Assert.Equal(-7, v));
        }
    }

    /// <summary>Checks: Upload download fill and copy round trip.</summary>
    [Fact]
    public void Upload_download_fill_and_copy_round_trip()
    {
        foreach (var n in SampleData.SweepLengths)
        {
            var data = TestData.Random(n, n);
            var a = Mine(V(n), data);
            Assert.Equal(data, a.ToArray());
            var b = Mine(n);
            Backend.Copy(a, b);
            Assert.Equal(data, b.ToArray());
            Backend.Fill(b, -2.5f);
            Assert.All(b.ToArray(), v => Assert.Equal(-2.5f, v));
        }

        // Copy needs equal lengths, not equal shapes.
        var m = Mine(M(3, 4), TestData.Random(12, 1));
        var flat = Mine(12);
        Backend.Copy(m, flat);
        Assert.Equal(m.ToArray(), flat.ToArray());
    }

    /// <summary>Checks: Int32 tensors round trip and copy.</summary>
    [Fact]
    public void Int32_tensors_round_trip_and_copy()
    {
        var values = Enumerable.Range(-50, 300).Select(i => i * 7919).ToArray();
        var t = Own(Backend.Allocate(V(values.Length), DataType.Int32));
        Backend.Upload(values, t);
        Assert.Equal(values, t.ToInt32Array());
        var u = Own(Backend.Allocate(V(values.Length), DataType.Int32));
        Backend.Copy(t, u);
        Assert.Equal(values, u.ToInt32Array());
        Assert.Throws<ArgumentException>(() => Backend.Upload(new float[values.Length], t));
        Assert.Throws<ArgumentException>(() => Backend.Download(t, new float[values.Length]));
        Assert.Throws<ArgumentException>(() => Backend.Copy(t, Mine(values.Length)));
        Assert.Throws<ArgumentException>(() => Backend.Relu(t, Mine(values.Length)));
    }

    /// <summary>Checks: Range copy moves exactly the range and refuses overlaps and out of bounds.</summary>
    [Fact]
    public void Range_copy_moves_exactly_the_range_and_refuses_overlaps_and_out_of_bounds()
    {
        var source = Mine(V(10), Enumerable.Range(0, 10).Select(i => (float)i).ToArray());
        var destination = Mine(V(6), Filled(6, -1f));
        Backend.Copy(source, 7, destination, 2, 3);
        Assert.Equal(new float[] { -1, -1, 7, 8, 9, -1 }, destination.ToArray());
        Backend.Copy(source, 0, source, 5, 5);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4 }, source.ToArray());
        Assert.Throws<ArgumentException>(() => Backend.Copy(source, 0, source, 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backend.Copy(source, 8, destination, 0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backend.Copy(source, 0, destination, 4, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backend.Copy(source, -1, destination, 0, 1));
    }

    /// <summary>Checks: Upload consumes its source before returning.</summary>
    [Fact]
    public void Upload_consumes_its_source_before_returning()
    {
        // A backend may run the copy later, but the caller may reuse the span at once.
        var source = TestData.Random(4096, 3);
        var expected = source.ToArray();
        var t = Mine(4096);
        Backend.Upload(source, t);
        Array.Fill(source, float.NaN);
        var y = Mine(4096);
        Backend.Relu(t, y);
        Assert.Equal(expected.Select(v => v > 0 ? v : 0).ToArray(), y.ToArray());
        Assert.Equal(expected, t.ToArray());
    }

    /// <summary>Checks: A tensor disposed after queuing work on it still feeds that work.</summary>
    [Fact]
    public void A_tensor_disposed_after_queuing_work_on_it_still_feeds_that_work()
    {
        // Release is ordered after the work already queued: the buffer is not reused under the pending op.
        var x = Backend.Allocate(V(1000));
        Backend.Upload(TestData.Random(1000, 4), x);
        var expected = x.ToArray().Select(v => v > 0 ? v : 0).ToArray();
        var y = Mine(1000);
        Backend.Relu(x, y);
        x.Dispose();
        var reused = Mine(1000);
        Backend.Fill(reused, 123f);
        Assert.Equal(expected, y.ToArray());
        Assert.Throws<ObjectDisposedException>(() => Backend.Relu(x, y));
    }

    /// <summary>Checks: Disposed segments are refused and segments of another backend too.</summary>
    [Fact]
    public void Disposed_segments_are_refused_and_segments_of_another_backend_too()
    {
        var x = Mine(M(4, 3), TestData.Random(12, 1));
        var v3 = Mine(3);
        var segments = BatchSegments.Uniform(Backend, 2, 2);
        Assert.Equal([0, 2, 4], segments.Offsets.ToArray());
        Assert.Equal([0, 2, 4], segments.DeviceOffsets.ToInt32Array());
        segments.Dispose();
        Assert.True(segments.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, Activation.None, Mine(4, 3), Mine(2, 3), Mine(2, 3), null, null, 0.1f));
        using var reference = new ReferenceBackend();
        using var foreign = BatchSegments.Uniform(reference, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, foreign, v3, v3, 1e-5f, Activation.None, Mine(4, 3), Mine(2, 3), Mine(2, 3), null, null, 0.1f));
        Assert.Contains("create them on this", e.Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ contract identities

    /// <summary>Checks: Linear is bit identical to gemm then add row vector.</summary>
    [Fact]
    public void Linear_is_bit_identical_to_gemm_then_add_row_vector()
    {
        foreach (var (rows, outputs, inputs) in new[] { (1, 1, 1), (17, 33, 63), (1000, 128, 16), (257, 129, 257), (300, 40, 600), (130, 70, 1000), (9, 300, 520) })
        {
            var x = Mine(M(rows, inputs), TestData.Random(rows * inputs, rows));
            var w = Mine(M(outputs, inputs), TestData.Random(outputs * inputs, outputs));
            var bias = Mine(V(outputs), TestData.Random(outputs, inputs));
            var fused = Mine(rows, outputs);
            var unfused = Mine(rows, outputs);
            Backend.Linear(x, w, bias, fused);
            Backend.Gemm(false, true, 1f, x, w, 0f, unfused);
            Backend.AddRowVector(unfused, bias, unfused);
            TestData.AssertBitIdentical(unfused.ToArray(), fused.ToArray(), $"Linear {rows}×{inputs}→{outputs}");
        }
    }

    /// <summary>Checks: BatchNorm with relu equals the unfused ops bit for bit.</summary>
    [Fact]
    public void BatchNorm_with_relu_equals_the_unfused_ops_bit_for_bit()
    {
        foreach (var lengths in new[] { new[] { 2 }, [300], [64, 64, 64], [2, 3, 7, 130, 2, 33] })
        {
            var segments = Segments(lengths);
            foreach (var c in new[] { 1, 17, 130 })
            {
                var n = segments.TotalRows;
                var s = segments.Count;
                var x = TestData.Random(n * c, c, 2f, 3f);
                var gamma = TestData.Random(c, c + 1, 0.5f, 1f);
                var beta = TestData.Random(c, c + 2);
                var rm = TestData.Random(c, c + 3);
                var rv = TestData.Random(c, c + 4, 0.5f, 1f);

                Tensor[] Run(Activation activation)
                {
                    var outputs = new[] { Mine(n, c), Mine(s, c), Mine(s, c), Mine(V(c), rm), Mine(V(c), rv) };
                    Backend.BatchNormForward(Mine(M(n, c), x), segments, Mine(V(c), gamma), Mine(V(c), beta), 1e-5f, activation,
                        outputs[0], outputs[1], outputs[2], outputs[3], outputs[4], 0.1f);
                    if (activation == Activation.None)
                    {
                        Backend.Relu(outputs[0], outputs[0]);
                    }

                    return outputs;
                }

                var fused = Run(Activation.Relu);
                var unfused = Run(Activation.None);
                for (var i = 0; i < fused.Length; i++)
                {
                    TestData.AssertBitIdentical(unfused[i].ToArray(), fused[i].ToArray(), $"BN+ReLU {string.Join("+", lengths)} C={c} output {i}");
                }
            }
        }
    }

    /// <summary>Checks: BatchNorm running statistics follow successive updates.</summary>
    [Fact]
    public void BatchNorm_running_statistics_follow_successive_updates()
    {
        // Three forward passes over a ragged batch: the running statistics are updated S times per pass.
        int[] lengths = [2, 5, 9];
        const int c = 19;
        var n = lengths.Sum();
        var rm = TestData.Random(c, 1);
        var rv = TestData.Random(c, 2, 0.5f, 1f);
        float[][] Run(ComputeBackend b)
        {
            using var segments = BatchSegments.Create(b, lengths);
            using var trm = TestData.Tensor(b, V(c), rm);
            using var trv = TestData.Tensor(b, V(c), rv);
            for (var pass = 0; pass < 3; pass++)
            {
                using var x = TestData.Tensor(b, M(n, c), TestData.Random(n * c, 10 + pass, 1.5f, -2f));
                using var gamma = TestData.Filled(b, V(c), 1f);
                using var beta = TestData.Filled(b, V(c), 0f);
                using var y = b.Allocate(M(n, c));
                using var mean = b.Allocate(M(lengths.Length, c));
                using var inv = b.Allocate(M(lengths.Length, c));
                b.BatchNormForward(x, segments, gamma, beta, 1e-5f, Activation.None, y, mean, inv, trm, trv, 0.25f);
            }

            return [trm.ToArray(), trv.ToArray()];
        }

        using var reference = new ReferenceBackend();
        var expected = Run(reference);
        var actual = Run(Backend);
        TestData.AssertClose(expected[0], actual[0], 1e-5, "running mean");
        TestData.AssertClose(expected[1], actual[1], 1e-5, "running variance");
    }

    /// <summary>Checks: BatchNormForward with no channels writes nothing and does not throw.</summary>
    [Fact]
    public void BatchNormForward_with_no_channels_writes_nothing_and_does_not_throw()
    {
        foreach (var activation in new[] { Activation.None, Activation.Relu })
        {
            Backend.BatchNormForward(Mine(4, 0), Segments(2, 2), Mine(0), Mine(0), 1e-5f, activation, Mine(4, 0), Mine(2, 0), Mine(2, 0), Mine(0), Mine(0), 0.1f);
        }
    }

    /// <summary>Checks: AcrObjective of finite terms is finite.</summary>
    [Fact]
    public void AcrObjective_of_finite_terms_is_finite()
    {
        const int n = 1000;
        var isAnomaly = Enumerable.Range(0, n).Select(i => i % 3 == 0 ? 1f : 0f).ToArray();
        var normal = isAnomaly.Select(a => a != 0 ? float.PositiveInfinity : 1f).ToArray();
        var anomaly = isAnomaly.Select(a => a != 0 ? 2f : float.PositiveInfinity).ToArray();
        var loss = Mine(1);
        Backend.AcrObjective(Mine(V(n), normal), Mine(V(n), anomaly), Mine(V(n), isAnomaly), Mine(V(n), Filled(n, 1f / n)), loss);
        Assert.Equal((334 * 2 + 666) / 1000.0, loss.ToArray()[0], 5);
    }

    /// <summary>Checks: AdamUpdate matches reference over several steps.</summary>
    [Fact]
    public void AdamUpdate_matches_reference_over_several_steps()
    {
        using var reference = new ReferenceBackend();
        foreach (var n in new[] { 1, 33, 140_001 })
        {
            float[][] Run(ComputeBackend b)
            {
                using var p = TestData.Tensor(b, V(n), TestData.Random(n, n));
                using var m = TestData.Filled(b, V(n), 0f);
                using var v = TestData.Filled(b, V(n), 0f);
                for (var step = 1; step <= 4; step++)
                {
                    using var g = TestData.Tensor(b, V(n), TestData.Random(n, (n * 10) + step, 0.1f * step));
                    b.AdamUpdate(p, g, m, v, new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step));
                }

                return [p.ToArray(), m.ToArray(), v.ToArray()];
            }

            var expected = Run(reference);
            var actual = Run(Backend);
            for (var i = 0; i < 3; i++)
            {
                TestData.AssertClose(expected[i], actual[i], 1e-5, $"Adam n={n} state {i}");
            }
        }
    }

    // ------------------------------------------------------------------ argument rules

    /// <summary>Checks: Shape mismatches throw ArgumentException.</summary>
    [Fact]
    public void Shape_mismatches_throw_ArgumentException()
    {
        var m34 = Mine(3, 4);
        var m43 = Mine(4, 3);
        var m33 = Mine(3, 3);
        var v3 = Mine(3);
        var v4 = Mine(4);
        var v5 = Mine(5);

        Assert.Throws<ArgumentException>(() => Backend.Gemm(false, false, 1f, m34, m34, 0f, m33));
        Assert.Throws<ArgumentException>(() => Backend.Gemm(false, false, 1f, m34, m43, 0f, Mine(3, 4)));
        Assert.Throws<ArgumentException>(() => Backend.Gemm(true, true, 1f, m34, m43, 0f, m33));
        Assert.Throws<ArgumentException>(() => Backend.Gemm(false, false, 1f, m34, m43, 0f, m34));
        Assert.Throws<ArgumentException>(() => Backend.AddRowVector(m34, v3, Mine(3, 4)));
        Assert.Throws<ArgumentException>(() => Backend.AddRowVector(m34, v4, m43));
        Assert.Throws<ArgumentException>(() => Backend.ColumnSum(m34, v3, false));
        Assert.Throws<ArgumentException>(() => Backend.Relu(v3, v4));
        Assert.Throws<ArgumentException>(() => Backend.ReluBackward(v3, v3, v4, false));
        Assert.Throws<ArgumentException>(() => Backend.Axpy(1f, v3, v4));
        Assert.Throws<ArgumentException>(() => Backend.ShiftedReciprocal(v3, 1f, v5));
        Assert.Throws<ArgumentException>(() => Backend.ShiftedReciprocalBackward(v3, v4, v3, true));
        Assert.Throws<ArgumentException>(() => Backend.Copy(v3, v4));
        Assert.Throws<ArgumentException>(() => Backend.Upload(new float[4], v3));
        Assert.Throws<ArgumentException>(() => Backend.Download(v3, new float[2]));
        Assert.Throws<ArgumentException>(() => Backend.RowSquaredDistance(m34, v3, v3));
        Assert.Throws<ArgumentException>(() => Backend.RowSquaredDistance(m34, v4, v4));
        Assert.Throws<ArgumentException>(() => Backend.RowSquaredDistanceBackward(m34, v4, v3, m43, false, v4, false));
        Assert.Throws<ArgumentException>(() => Backend.AcrObjective(v3, v3, v3, v4, Mine(1)));
        Assert.Throws<ArgumentException>(() => Backend.AcrObjective(v3, v3, v3, v3, Mine(2)));
        Assert.Throws<ArgumentException>(() => Backend.AcrObjectiveBackward(v3, v3, Mine(1), v3, v4, false));
        Assert.Throws<ArgumentException>(() => Backend.AdamUpdate(v3, v3, v3, v4, new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backend.AdamUpdate(v3, Mine(3), Mine(3), Mine(3), new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0)));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormInference(m34, v4, v4, v4, v3, 1e-5f, Mine(3, 4)));
    }

    /// <summary>Checks: Linear shape mismatches throw ArgumentException.</summary>
    [Fact]
    public void Linear_shape_mismatches_throw_ArgumentException()
    {
        var x = Mine(4, 3);
        Assert.Throws<ArgumentException>(() => Backend.Linear(x, Mine(5, 2), null, Mine(4, 5)));
        Assert.Throws<ArgumentException>(() => Backend.Linear(x, Mine(5, 3), Mine(4), Mine(4, 5)));
        Assert.Throws<ArgumentException>(() => Backend.Linear(x, Mine(5, 3), null, Mine(4, 4)));
        var e = Assert.Throws<ArgumentException>(() => Backend.Linear(Mine(0, 3), Mine(5, 2), null, Mine(0, 5)));
        Assert.Contains("the input has 3 features per row", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Checks: BatchNorm shape mismatches throw ArgumentException.</summary>
    [Fact]
    public void BatchNorm_shape_mismatches_throw_ArgumentException()
    {
        var x = Mine(M(4, 3), TestData.Random(12, 1));
        var segments = Segments(2, 2);
        var v3 = Mine(3);
        var none = Activation.None;
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, Segments(5), v3, v3, 1e-5f, none, Mine(4, 3), Mine(1, 3), Mine(1, 3), null, null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, Mine(4), v3, 1e-5f, none, Mine(4, 3), Mine(2, 3), Mine(2, 3), null, null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, none, Mine(4, 4), Mine(2, 3), Mine(2, 3), null, null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, none, Mine(4, 3), Mine(1, 3), Mine(2, 3), null, null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, none, Mine(4, 3), Mine(2, 3), Mine(2, 3), Mine(3), null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, none, Mine(4, 3), Mine(2, 3), Mine(2, 3), Mine(4), Mine(4), 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(x, segments, v3, v3, 1e-5f, none, x, Mine(2, 3), Mine(2, 3), null, null, 0.1f));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormBackward(x, Mine(4, 2), segments, v3, Mine(2, 3), Mine(2, 3), Mine(4, 3), false, v3, v3, false));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormBackward(x, Mine(4, 3), segments, v3, Mine(1, 3), Mine(2, 3), Mine(4, 3), false, v3, v3, false));
        Assert.Throws<ArgumentException>(() => Backend.BatchNormBackward(x, Mine(4, 3), segments, v3, Mine(2, 3), Mine(2, 3), Mine(4, 3), false, Mine(2), v3, false));
        var e = Assert.Throws<ArgumentException>(() => Backend.BatchNormForward(Mine(4, 2), Segments(4), Mine(2), Mine(2), 1e-5f,
            (Activation)7, Mine(4, 2), Mine(1, 2), Mine(1, 2), null, null, 0.1f));
        Assert.Contains("activation", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Checks: BatchNormForward with a one row segment throws mentioning the batch size.</summary>
    [Fact]
    public void BatchNormForward_with_a_one_row_segment_throws_mentioning_the_batch_size()
    {
        var x = Mine(M(5, 3), TestData.Random(15, 1));
        var v3 = Mine(3);
        var e = Assert.Throws<ArgumentException>(() =>
            Backend.BatchNormForward(x, Segments(2, 1, 2), v3, v3, 1e-5f, Activation.None, Mine(5, 3), Mine(3, 3), Mine(3, 3), null, null, 0.1f));
        Assert.Contains("batch size", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("segment 1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() =>
            Backend.BatchNormForward(Mine(1, 3), Segments(1), v3, v3, 1e-5f, Activation.None, Mine(1, 3), Mine(1, 3), Mine(1, 3), null, null, 0.1f));
        Assert.Contains("batch size", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Checks: Tensors of another backend or disposed ones are rejected with their names.</summary>
    [Fact]
    public void Tensors_of_another_backend_or_disposed_ones_are_rejected_with_their_names()
    {
        using var reference = new ReferenceBackend();
        var foreign = reference.Allocate(TensorShape.Vector(3));
        var own = Mine(3);
        var e = Assert.Throws<ArgumentException>(() => Backend.Relu(foreign, own));
        Assert.Contains("x (", e.Message, StringComparison.Ordinal);
        Assert.Contains("another backend", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Backend.Relu(own, foreign));
        Assert.Throws<ArgumentException>(() => Backend.Upload(new float[3], foreign));
        Assert.Throws<ArgumentException>(() => Backend.Gemm(false, false, 1f, reference.Allocate(M(3, 3)), Mine(3, 3), 0f, Mine(3, 3)));
        var gone = Backend.Allocate(V(3));
        gone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Backend.Relu(gone, own));
        Assert.Throws<ObjectDisposedException>(() => gone.ToArray());
    }
}
