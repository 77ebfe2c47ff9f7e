namespace Acr.Host.Data;

/// <summary>The CRC-32 used by gzip (IEEE 802.3, reflected polynomial 0xEDB88320).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC state before any byte; pass it to the first <see cref="Append"/>.</summary>
    public const uint Initial = 0xFFFFFFFFu;

    /// <summary>Continues a CRC over more bytes.</summary>
    /// <param name="state">The state returned by the previous call, or <see cref="Initial"/>.</param>
    /// <param name="bytes">The next bytes.</param>
    /// <returns>The new state.</returns>
    public static uint Append(uint state, ReadOnlySpan<byte> bytes)
    {
        uint[] table = Table;
        foreach (byte b in bytes)
        {
            state = table[(state ^ b) & 0xFF] ^ (state >> 8);
        }

        return state;
    }

    /// <summary>The checksum of everything appended so far.</summary>
    /// <param name="state">The current state.</param>
    /// <returns>The CRC-32 value.</returns>
    public static uint Finish(uint state) => state ^ 0xFFFFFFFFu;

    private static uint[] BuildTable()
    {
        uint[] table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
