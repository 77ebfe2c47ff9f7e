using System.Globalization;

namespace Acr.Backends.Gpu;

/// <summary>
/// A device allocation failed for lack of memory, after the backend freed every cached buffer and retried. The
/// message names the request and the memory still free; nothing the caller held was lost.
/// </summary>
public sealed class GpuOutOfMemoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GpuOutOfMemoryException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public GpuOutOfMemoryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the allocator's exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The allocator's exception.</param>
    public GpuOutOfMemoryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed request.</summary>
    /// <param name="device">The device, e.g. <c>cuda:0 (NVIDIA H200)</c>.</param>
    /// <param name="requestedBytes">The bytes asked for.</param>
    /// <param name="freeBytes">The bytes still free (on the device, or under the backend's memory limit).</param>
    /// <param name="innerException">The allocator's exception, if any.</param>
    public GpuOutOfMemoryException(string device, long requestedBytes, long freeBytes, Exception? innerException)
        : base(string.Create(CultureInfo.InvariantCulture, $"Out of device memory on {device}: a tensor of {requestedBytes} bytes ({Format(requestedBytes)}) was requested, {Format(freeBytes)} is free. Use smaller batches, or free tensors before allocating."), innerException)
    {
        RequestedBytes = requestedBytes;
        FreeBytes = freeBytes;
    }

    /// <summary>The bytes asked for.</summary>
    public long RequestedBytes { get; }

    /// <summary>The bytes still free when the request failed.</summary>
    public long FreeBytes { get; }

    private static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
