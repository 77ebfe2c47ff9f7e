using System.Globalization;
using System.Runtime.InteropServices;

namespace Acr.Backends.Cpu;

/// <summary>
/// Provides the CPU backend: one device, <c>cpu:0</c>, always usable. Option <c>threads</c> (an integer
/// ≥ 1, default <see cref="Environment.ProcessorCount"/>) sets how many threads kernels use; option
/// <c>poison</c> (<c>true</c>/<c>false</c>, default false) fills every new allocation with NaN, which finds code that
/// reads memory it never wrote (the contract makes no zero promise).
/// </summary>
public sealed class CpuBackendProvider : IBackendProvider
{
    /// <summary>The option that sets the number of threads.</summary>
    public const string ThreadsOption = "threads";

    /// <summary>The option that fills new allocations with NaN.</summary>
    public const string PoisonOption = "poison";

    private static readonly string[] ValidOptions = [ThreadsOption, PoisonOption];
    private readonly Lazy<IReadOnlyList<DeviceDescriptor>> _devices = new(() => [DescribeDevice()]);

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public string Description => "Pure C# SIMD backend on the host CPU (Vector512/Vector256 kernels, blocked multithreaded GEMM).";

    /// <inheritdoc />
    public IReadOnlyList<DeviceDescriptor> Devices => _devices.Value;

    /// <inheritdoc />
    public MissingKernelPolicy MissingKernelPolicy => MissingKernelPolicy.RunReferenceOnHost;

    /// <inheritdoc />
    public ComputeBackend Create(DeviceDescriptor device, IReadOnlyDictionary<string, string>? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!string.Equals(device.Backend, Name, StringComparison.OrdinalIgnoreCase) || device.Index != 0)
        {
            throw new ArgumentException($"The cpu provider has one device, cpu:0; got {device.Id}.", nameof(device));
        }

        var threads = Environment.ProcessorCount;
        var poison = false;
        foreach (var (key, value) in options ?? new Dictionary<string, string>())
        {
            if (string.Equals(key, ThreadsOption, StringComparison.OrdinalIgnoreCase))
            {
                if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out threads) || threads < 1)
                {
                    throw new ArgumentException(
                        $"The cpu backend option '{ThreadsOption}' must be an integer of at least 1; got '{value}'.", nameof(options));
                }
            }
            else if (string.Equals(key, PoisonOption, StringComparison.OrdinalIgnoreCase))
            {
                if (!bool.TryParse(value, out poison))
                {
                    throw new ArgumentException($"The cpu backend option '{PoisonOption}' must be true or false; got '{value}'.", nameof(options));
                }
            }
            else
            {
                throw new ArgumentException(
                    $"Unknown cpu backend option '{key}'. Valid options: {string.Join(", ", ValidOptions)}.", nameof(options));
            }
        }

        return new CpuBackend(threads, CpuBackend.GemmKernel.Auto, poison);
    }

    /// <summary>Describes the host CPU.</summary>
    internal static DeviceDescriptor DescribeDevice()
    {
        var properties = new Dictionary<string, string>
        {
            ["logicalCores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["simd"] = Simd.WidthName,
            ["os"] = RuntimeInformation.OSDescription,
            ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
        };
        return new DeviceDescriptor("cpu", 0, CpuModelName(), true, null, properties);
    }

    private static string CpuModelName()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal))
                    {
                        var colon = line.IndexOf(':', StringComparison.Ordinal);
                        if (colon >= 0)
                        {
                            return line[(colon + 1)..].Trim();
                        }
                    }
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return $"{RuntimeInformation.ProcessArchitecture} CPU";
    }
}
