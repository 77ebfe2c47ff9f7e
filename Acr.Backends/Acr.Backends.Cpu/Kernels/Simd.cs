namespace Acr.Backends.Cpu.Kernels;

/// <summary>Which vector width the kernels use on this machine (fixed for the process).</summary>
internal static class Simd
{
    /// <summary>The widest accelerated vector type the drivers use: Vector512, Vector256, Vector128 or scalar.</summary>
    public static string WidthName =>
        Vector512.IsHardwareAccelerated ? "Vector512"
        : Vector256.IsHardwareAccelerated ? "Vector256"
        : Vector128.IsHardwareAccelerated ? "Vector128"
        : "scalar";

    /// <summary>Number of float32 lanes of <see cref="WidthName"/> (1 for scalar).</summary>
    public static int FloatLanes =>
        Vector512.IsHardwareAccelerated ? Vector512<float>.Count
        : Vector256.IsHardwareAccelerated ? Vector256<float>.Count
        : Vector128.IsHardwareAccelerated ? Vector128<float>.Count
        : 1;
}
