namespace Acr.Host.Models;

/// <summary>Constants and helpers shared by the <c>.safetensors</c> reader and writer.</summary>
internal static class SafeTensorsFormat
{
    /// <summary>Size of the little-endian u64 header length that starts the file.</summary>
    public const int LengthPrefixBytes = 8;

    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The key of the optional string-to-string metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The only dtype this project reads and writes.</summary>
    public const string F32 = "F32";

    /// <summary>Formats a byte count for people: "512 bytes", "1 KiB", "8 GiB", "1.5 MiB".</summary>
    public static string FormatBytes(ulong bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        if (bytes < 1024)
        {
            return bytes == 1 ? "1 byte" : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
        }

        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString("0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
