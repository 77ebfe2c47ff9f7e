using Acr.Tensors;

namespace Acr.Backends.Tests;

/// <summary>The CPU backend's buffer pool: reuse, the poison option, and no managed allocation in a steady loop.</summary>
public sealed class CpuBufferPoolTests
{
    /// <summary>
    /// The one unavoidable allocation of <see cref="ComputeBackend.Allocate"/>: the <see cref="Tensor"/> handle
    /// itself (a sealed class of the contract, not reusable once disposed), about 56 bytes on x64.
    /// </summary>
    private const int TensorHandleBytes = 64;

    [Fact]
    public void Allocate_dispose_cycles_reuse_buffers_and_allocate_only_the_tensor_handle()
    {
        using var backend = new CpuBackend(1);
        TensorShape[] shapes = [new(1 << 20), new(128, 128), new(7), new(8192, 16)];
        for (var warm = 0; warm < 3; warm++)
        {
            foreach (var shape in shapes)
            {
                backend.Allocate(shape).Dispose();
            }
        }

        const int cycles = 1000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < cycles; i++)
        {
            foreach (var shape in shapes)
            {
                using var t = backend.Allocate(shape);
            }
        }

        var perCycle = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / (cycles * shapes.Length);
        Assert.True(perCycle <= TensorHandleBytes, $"{perCycle} bytes per Allocate/Dispose cycle; only the tensor handle may be allocated.");
    }

    [Fact]
    public void Kernels_allocate_nothing_in_steady_state()
    {
        using var backend = new CpuBackend(2);
        using var a = TestData.Tensor(backend, TensorShape.Matrix(256, 256), TestData.Random(256 * 256, 1));
        using var b = TestData.Tensor(backend, TensorShape.Matrix(256, 256), TestData.Random(256 * 256, 2));
        using var c = backend.Allocate(TensorShape.Matrix(256, 256));
        using var d = TestData.Filled(backend, TensorShape.Matrix(256, 256), 0f);
        using var v = TestData.Tensor(backend, TensorShape.Vector(256), TestData.Random(256, 3));
        using var mean = backend.Allocate(TensorShape.Matrix(2, 256));
        using var inv = backend.Allocate(TensorShape.Matrix(2, 256));
        using var dg = backend.Allocate(TensorShape.Vector(256));
        using var db = backend.Allocate(TensorShape.Vector(256));
        using var segments = BatchSegments.Uniform(backend, 2, 128);
        void Step()
        {
            backend.Gemm(false, true, 1f, a, b, 0f, c);
            backend.Gemm(true, false, 1f, a, b, 1f, c);
            backend.BatchNormForward(a, segments, v, v, 1e-5f, Activation.Relu, c, mean, inv, dg, db, 0.1f);
            backend.BatchNormBackward(a, b, segments, v, mean, inv, c, true, dg, db, true);
            backend.ColumnSum(a, v, true);
            backend.Relu(a, c);
            backend.AdamUpdate(c, a, b, d, new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1));
        }

        // Warm up past tiered compilation (call counting, on-stack replacement), which allocates runtime data.
        for (var i = 0; i < 40; i++)
        {
            Step();
        }

        Thread.Sleep(300);
        Step();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_disposed_buffer_is_reused_and_the_poison_option_fills_new_and_reused_buffers_with_NaN()
    {
        using var backend = new CpuBackend(1, CpuBackend.GemmKernel.Auto, poisonAllocations: true);
        var shape = new TensorShape(33, 17);
        var first = backend.Allocate(shape);
        Assert.All(first.ToArray(), x => Assert.True(float.IsNaN(x)));
        backend.Fill(first, 1f);
        var buffer = first.Buffer;
        first.Dispose();
        using var second = backend.Allocate(shape);
        Assert.Same(buffer, second.Buffer);
        Assert.All(second.ToArray(), x => Assert.True(float.IsNaN(x)));

        var poisoned = (CpuBackend)new CpuBackendProvider().Create(new CpuBackendProvider().Devices[0], new Dictionary<string, string> { ["poison"] = "true" });
        using (poisoned)
        {
            using var t = poisoned.Allocate(new TensorShape(5));
            Assert.All(t.ToArray(), x => Assert.True(float.IsNaN(x)));
        }
    }

    [Fact]
    public void Disposing_tensors_after_the_backend_is_harmless()
    {
        var backend = new CpuBackend(2);
        var t = backend.Allocate(new TensorShape(10));
        backend.Dispose();
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => backend.Allocate(new TensorShape(3)));
    }
}
