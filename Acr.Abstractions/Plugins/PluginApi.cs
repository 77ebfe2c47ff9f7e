namespace Acr.Plugins;

/// <summary>
/// The version of the plugin contract (this assembly's public surface). A plugin declares the version
/// it was built against with <see cref="AcrPluginApiAttribute"/>. Rules: the major version changes when
/// a contract type changes incompatibly (a member removed or its meaning changed, a member without a
/// default implementation added to an interface plugins implement); the minor version changes when
/// something is added that old plugins need not know. A plugin loads when its major equals the host's and its
/// minor is not newer. History: 1.0 the first contract; 1.1 fused Linear and batch norm + activation;
/// 2.0 compute contract 2 — the abstract <c>ComputeBackend</c> base with ops as units (<c>ComputeOp</c>,
/// kernels, host fallback), backend-owned <c>BatchSegments</c>, Int32 tensors, ops and kernels from plugins; 2.1 optimizer and
/// random-generator state for checkpoints (<c>Adam.FirstMoments</c>/<c>SecondMoments</c>/<c>ParameterSteps</c>/<c>RestoreSteps</c>,
/// <c>SeededRandom.State</c>/<c>FromState</c>, <c>SeededRandomState</c>).
/// 2.2 image ops (NCHW conv2d, segmented batch-norm-2d, max and global-average pooling) with <c>ImageShape</c> and <c>Window2d</c>.
/// 2.3 <c>DetectorModelSpec.GetImageShape</c> (an image-shape option, checked against the row width).
/// </summary>
public static class PluginApi
{
    /// <summary>Major version of the contract.</summary>
    public const int Major = 2;

    /// <summary>Minor version of the contract.</summary>
    public const int Minor = 3;

    /// <summary>The contract version as <c>Major.Minor</c>.</summary>
    public static Version Version => new(Major, Minor);

    /// <summary>Whether a plugin built against <paramref name="major"/>.<paramref name="minor"/> can run on this contract.</summary>
    /// <param name="major">The plugin's major version.</param>
    /// <param name="minor">The plugin's minor version.</param>
    public static bool IsCompatible(int major, int minor) => major == Major && minor <= Minor;
}
