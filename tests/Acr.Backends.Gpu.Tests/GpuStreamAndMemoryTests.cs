using Acr.Backends.Gpu.Memory;
using Acr.Compute;
using Acr.Tensors;
using Acr.Testing;

namespace Acr.Backends.Gpu.Tests;

/// <summary>The stream and memory contract on a device backend: staged uploads, ordered releases, the pool, out of memory, determinism.</summary>
public sealed class GpuStreamAndMemoryTests : IDisposable
{
    private readonly GpuBackend _backend = GpuBackendProvider.CreateSimulated();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void Uploads_of_every_size_consume_their_span_before_returning()
    {
        // A small upload (one staging page), one larger than a page, one copied into staging over several cores, and one
        // larger than all staging memory (copied synchronously).
        foreach (var n in new[] { 1000, (UploadStaging.PageBytes / 4) + 3, (UploadStaging.ParallelCopyBytes / 4) + 1001, (int)(UploadStaging.MaxBytes / 4) + 5 })
        {
            var source = TestData.Random(n, n);
            var expected = source.ToArray();
            using var t = _backend.Allocate(TensorShape.Vector(n));
            _backend.Upload(source, t);
            Array.Fill(source, float.NaN);
            using var y = _backend.Allocate(TensorShape.Vector(n));
            _backend.Copy(t, y);
            Assert.Equal(expected, y.ToArray());
        }
    }

    [Fact]
    public void More_uploads_in_flight_than_staging_memory_drain_the_stream_and_lose_nothing()
    {
        const int n = 1 << 20; // 4 MiB each, 24 of them: 96 MiB through 64 MiB of staging without a download in between
        var tensors = new List<Tensor>();
        try
        {
            var source = new float[n];
            for (var k = 0; k < 24; k++)
            {
                Array.Fill(source, k);
                var t = _backend.Allocate(TensorShape.Vector(n));
                _backend.Upload(source, t);
                tensors.Add(t);
            }

            for (var k = 0; k < tensors.Count; k++)
            {
                var values = tensors[k].ToArray();
                Assert.True(values.All(v => v == k), $"upload {k} was overwritten");
            }
        }
        finally
        {
            tensors.ForEach(t => t.Dispose());
        }
    }

    [Fact]
    public void A_tensor_released_on_another_thread_after_queued_work_is_reused_only_by_later_work()
    {
        const int n = 50_000;
        var data = TestData.Random(n, 7);
        var x = TestData.Tensor(_backend, TensorShape.Vector(n), data);
        using var y = _backend.Allocate(TensorShape.Vector(n));
        var buffer = x.Buffer;
        _backend.Relu(x, y);
        var releaser = new Thread(x.Dispose);
        releaser.Start();
        releaser.Join();

        // The next allocation of that size reuses the buffer; what is written into it is queued after the ReLU.
        using var reused = _backend.Allocate(TensorShape.Vector(n));
        Assert.Same(buffer, reused.Buffer);
        _backend.Fill(reused, -1f);
        Assert.Equal(data.Select(v => v > 0 ? v : 0).ToArray(), y.ToArray());
        Assert.All(reused.ToArray(), v => Assert.Equal(-1f, v));
    }

    [Fact]
    public void A_steady_loop_makes_no_new_device_allocation()
    {
        void Step()
        {
            using var x = TestData.Tensor(_backend, TensorShape.Matrix(33, 17), TestData.Random(33 * 17, 1));
            using var w = TestData.Tensor(_backend, TensorShape.Matrix(9, 17), TestData.Random(9 * 17, 2));
            using var y = _backend.Allocate(TensorShape.Matrix(33, 9));
            using var segments = BatchSegments.Uniform(_backend, 3, 11);
            using var gamma = TestData.Filled(_backend, TensorShape.Vector(9), 1f);
            using var beta = TestData.Filled(_backend, TensorShape.Vector(9), 0f);
            using var z = _backend.Allocate(TensorShape.Matrix(33, 9));
            using var mean = _backend.Allocate(TensorShape.Matrix(3, 9));
            using var inv = _backend.Allocate(TensorShape.Matrix(3, 9));
            _backend.Linear(x, w, null, y);
            _backend.BatchNormForward(y, segments, gamma, beta, 1e-5f, Activation.Relu, z, mean, inv, null, null, 0.1f);
            _ = z.ToArray();
        }

        Step();
        var allocations = _backend.DriverAllocations;
        var bytes = _backend.PooledBytes;
        for (var i = 0; i < 20; i++)
        {
            Step();
        }

        Assert.Equal(allocations, _backend.DriverAllocations);
        Assert.Equal(bytes, _backend.PooledBytes);
    }

    [Fact]
    public void Out_of_memory_names_the_request_and_the_free_memory_frees_the_cached_buffers_and_loses_nothing()
    {
        using var backend = GpuBackendProvider.CreateSimulated(memoryLimitBytes: 1 << 20);
        var kept = TestData.Tensor(backend, TensorShape.Vector(1 << 17), TestData.Random(1 << 17, 3)); // 512 KiB, kept
        backend.Allocate(TensorShape.Vector(1 << 16)).Dispose();                                      // 256 KiB, cached by the pool
        Assert.Equal(768 << 10, backend.PooledBytes);

        var e = Assert.Throws<GpuOutOfMemoryException>(() => backend.Allocate(TensorShape.Vector(3 << 16))); // 768 KiB
        Assert.Equal(768L << 10, e.RequestedBytes);
        Assert.Equal(512L << 10, e.FreeBytes);
        Assert.Contains("786432 bytes (768.0 KiB) was requested", e.Message, StringComparison.Ordinal);
        Assert.Contains("512.0 KiB is free", e.Message, StringComparison.Ordinal);
        Assert.Contains("ilgpu-cpu:0", e.Message, StringComparison.Ordinal);

        // The cached buffer went back before the failure; what the caller holds is intact and the backend goes on.
        Assert.Equal(512 << 10, backend.PooledBytes);
        Assert.Equal(TestData.Random(1 << 17, 3), kept.ToArray());
        using var fits = backend.Allocate(TensorShape.Vector(1 << 17));
        backend.Fill(fits, 2f);
        Assert.All(fits.ToArray(), v => Assert.Equal(2f, v));
        kept.Dispose();
    }

    [Fact]
    public void Results_are_bit_identical_from_call_to_call()
    {
        float[][] Run()
        {
            using var a = TestData.Tensor(_backend, TensorShape.Matrix(129, 65), TestData.Random(129 * 65, 1));
            using var b = TestData.Tensor(_backend, TensorShape.Matrix(65, 70), TestData.Random(65 * 70, 2));
            using var c = _backend.Allocate(TensorShape.Matrix(129, 70));
            _backend.Gemm(false, false, 1f, a, b, 0f, c);
            using var segments = BatchSegments.Create(_backend, [2, 61, 66]);
            using var gamma = TestData.Filled(_backend, TensorShape.Vector(70), 1.5f);
            using var beta = TestData.Filled(_backend, TensorShape.Vector(70), 0.25f);
            using var y = _backend.Allocate(c.Shape);
            using var mean = _backend.Allocate(TensorShape.Matrix(3, 70));
            using var inv = _backend.Allocate(TensorShape.Matrix(3, 70));
            _backend.BatchNormForward(c, segments, gamma, beta, 1e-5f, Activation.None, y, mean, inv, null, null, 0.1f);
            using var flat = _backend.View(y, TensorShape.Vector(y.Length));
            using var weight = TestData.Filled(_backend, flat.Shape, 1f / flat.Length);
            using var labels = TestData.Tensor(_backend, flat.Shape, Enumerable.Range(0, flat.Length).Select(i => i % 5 == 0 ? 1f : 0f).ToArray());
            using var loss = _backend.Allocate(TensorShape.Vector(1));
            _backend.AcrObjective(flat, flat, labels, weight, loss);
            return [c.ToArray(), y.ToArray(), loss.ToArray()];
        }

        var first = Run();
        var second = Run();
        for (var i = 0; i < first.Length; i++)
        {
            TestData.AssertBitIdentical(first[i], second[i], $"output {i}");
        }
    }

    [Fact]
    public void Two_backends_on_one_device_used_from_two_threads_stay_correct()
    {
        using var other = GpuBackendProvider.CreateSimulated();
        var expected = Matmul(new Acr.Backends.Cpu.CpuBackend(1));
        var results = new float[2][];
        Parallel.Invoke(() => results[0] = Matmul(_backend), () => results[1] = Matmul(other));
        TestData.AssertClose(expected, results[0], 1e-5, "first backend");
        TestData.AssertClose(expected, results[1], 1e-5, "second backend");

        static float[] Matmul(ComputeBackend backend)
        {
            try
            {
                float[] last = [];
                for (var i = 0; i < 10; i++)
                {
                    using var a = TestData.Tensor(backend, TensorShape.Matrix(40, 30), TestData.Random(1200, 5));
                    using var b = TestData.Tensor(backend, TensorShape.Matrix(30, 20), TestData.Random(600, 6));
                    using var c = backend.Allocate(TensorShape.Matrix(40, 20));
                    backend.Gemm(false, false, 1f, a, b, 0f, c);
                    last = c.ToArray();
                }

                return last;
            }
            finally
            {
                if (backend is Acr.Backends.Cpu.CpuBackend)
                {
                    backend.Dispose();
                }
            }
        }
    }

    [Fact]
    public void After_dispose_ops_throw_and_tensors_may_still_be_disposed()
    {
        var backend = GpuBackendProvider.CreateSimulated();
        var t = TestData.Filled(backend, TensorShape.Vector(10), 1f);
        backend.Dispose();
        Assert.Throws<ObjectDisposedException>(() => backend.Relu(t, t));
        Assert.Throws<ObjectDisposedException>(() => backend.Allocate(TensorShape.Vector(3)));
        t.Dispose();
    }
}
