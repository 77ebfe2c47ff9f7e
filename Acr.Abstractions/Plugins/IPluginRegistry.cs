using Acr.Detectors;

namespace Acr.Plugins;

/// <summary>What a plugin registers into: detectors, backends, and its own ops with their kernels.</summary>
public interface IPluginRegistry
{
    /// <summary>Adds a detector.</summary>
    /// <param name="detector">The detector; its name must be unique across plugins.</param>
    void AddDetector(IDetector detector);

    /// <summary>Adds a backend provider.</summary>
    /// <param name="provider">The provider; its name must be unique across plugins.</param>
    void AddBackend(IBackendProvider provider);

    /// <summary>
    /// Declares an op this plugin defines (its reference and samples come with it), so <c>acr plugins</c> lists it
    /// with how each backend runs it, and <c>acr selftest</c> checks it.
    /// </summary>
    /// <param name="op">The op; its name must be unique.</param>
    void AddOp(ComputeOp op);

    /// <summary>
    /// Adds a kernel for one of this plugin's ops on the backend named <paramref name="backend"/>: every backend of that
    /// name the host creates gets it (<see cref="ComputeBackend.AddKernel{TArgs}"/>). A kernel written against host spans
    /// (<see cref="ComputeBackend.HostFloats"/>) serves the CPU backend; backends without a kernel run the op's reference on
    /// the host, or refuse (see <see cref="MissingKernelPolicy"/>).
    /// </summary>
    /// <typeparam name="TArgs">The op's arguments.</typeparam>
    /// <param name="backend">The backend's name, e.g. <c>cpu</c>.</param>
    /// <param name="op">The op (also declared with <see cref="AddOp"/>).</param>
    /// <param name="factory">Creates the kernel for one backend instance.</param>
    void AddKernel<TArgs>(string backend, ComputeOp<TArgs> op, Func<ComputeBackend, IKernel<TArgs>> factory)
        where TArgs : struct;
}
