namespace Acr.Backends.Gpu.Devices;

/// <summary>The ILGPU accelerator types Acr runs on; each is one backend (one <see cref="GpuBackendProvider"/>).</summary>
public enum GpuAcceleratorKind
{
    /// <summary>NVIDIA GPUs through the CUDA driver (<c>libcuda.so.1</c>); backend <c>cuda</c>.</summary>
    Cuda = 0,

    /// <summary>Any OpenCL 2.0 device, or 3.0 with generic address space (<c>libOpenCL.so.1</c>); backend <c>opencl</c>.</summary>
    OpenCL = 1,

    /// <summary>ILGPU's CPU accelerator, a functional simulator of a GPU on host threads; backend <c>ilgpu-cpu</c>.</summary>
    Cpu = 2,
}
