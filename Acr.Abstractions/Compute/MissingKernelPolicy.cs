namespace Acr.Compute;

/// <summary>What a backend does with an op it has no kernel for.</summary>
public enum MissingKernelPolicy
{
    /// <summary>Run the op's scalar reference on the host (unless the op refuses it): every op works, the missing ones slowly.</summary>
    RunReferenceOnHost = 0,

    /// <summary>Refuse with <see cref="NotSupportedException"/>: for backends where a silent host round trip would hide a performance bug.</summary>
    Refuse = 1,
}
