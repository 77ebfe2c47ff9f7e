namespace Acr.Backends.Gpu;

/// <summary>ILGPU could not compile one of the backend's kernels for a device; the message names the kernel and carries ILGPU's.</summary>
public sealed class GpuKernelCompilationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GpuKernelCompilationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed to compile, and why.</param>
    public GpuKernelCompilationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and ILGPU's exception.</summary>
    /// <param name="message">What failed to compile, and why.</param>
    /// <param name="innerException">ILGPU's exception.</param>
    public GpuKernelCompilationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
