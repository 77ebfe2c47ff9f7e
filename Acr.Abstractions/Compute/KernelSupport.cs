namespace Acr.Compute;

/// <summary>How a backend runs one op (see <see cref="ComputeBackend.Support"/>).</summary>
public enum KernelSupport
{
    /// <summary>The backend has a kernel for the op (its own or one a plugin added).</summary>
    Kernel = 0,

    /// <summary>No kernel: the op's scalar reference runs on the host (in place on host memory, otherwise on copies). Correct, but slow.</summary>
    ReferenceOnHost = 1,

    /// <summary>No kernel, and the backend or the op refuses the host reference: running it throws <see cref="NotSupportedException"/>.</summary>
    Unsupported = 2,
}
