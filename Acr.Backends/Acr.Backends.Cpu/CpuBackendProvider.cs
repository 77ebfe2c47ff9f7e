using System.Globalization;
using System.Runtime.InteropServices;
using Acr.Backends.Cpu.Kernels;
using Acr.Compute;

namespace Acr.Backends.Cpu;

/// <summary>
/// Provides the CPU backend: one device, <c>cpu:0</c>, always usable. Option <c>threads</c> (an integer
/// ≥ 1, default <see cref="Environment.ProcessorCount"/>) sets how many threads kernels use.
/// </summary>
public sealed class CpuBackendProvider : IBackendProvider
{
    /// <summary>The option that sets the number of threads.</summary>
    public const string ThreadsOption = "threads";

    private static readonly string[] ValidOptions = [ThreadsOption];
    private readonly Lazy<IReadOnlyList<DeviceDescriptor>> _devices = new(() => [DescribeDevice()]);

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public string Description => "Pure C# SIMD backend on the host CPU (Vector512/Vector256 kernels, blocked multithreaded GEMM).";

    /// <inheritdoc />
    public IReadOnlyList<DeviceDescriptor> Devices => _devices.Value;

    /// <inheritdoc />
    public IComputeBackend Create(DeviceDescriptor device, IReadOnlyDictionary<string, string>? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!string.Equals(device.Backend, Name, StringComparison.OrdinalIgnoreCase) || device.Index != 0)
        {
            throw new ArgumentException($"The cpu provider has one device, cpu:0; got {device.Id}.", nameof(device));
        }

        var threads = Environment.ProcessorCount;
        if (options is not null)
        {
            foreach (var (key, value) in options)
            {
                if (!string.Equals(key, ThreadsOption, StringComparison.OrdinalIgnoreCase))
                {
                    throw new ArgumentException(
                        $"Unknown cpu backend option '{key}'. Valid options: {string.Join(", ", ValidOptions)}.", nameof(options));
                }

                if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out threads) || threads < 1)
                {
                    throw new ArgumentException(
                        $"The cpu backend option '{ThreadsOption}' must be an integer of at least 1; got '{value}'.", nameof(options));
                }
            }
        }

        return new CpuBackend(threads);
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
