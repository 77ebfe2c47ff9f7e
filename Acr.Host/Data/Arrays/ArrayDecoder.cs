using System.Buffers.Binary;

namespace Acr.Host.Data.Arrays;

/// <summary>
/// Shared, bounded steps of the array readers: opening a file (transparently gunzipping and
/// checking the gzip trailer), counting elements without overflow, and decoding a fixed number
/// of elements from a stream in chunks while detecting truncation and trailing bytes.
/// </summary>
internal static class ArrayDecoder
{
    /// <summary>The largest number of elements a reader accepts unless told otherwise (about 512 MB as floats).</summary>
    public const long DefaultMaxElements = 128L * 1024 * 1024;

    private const int ChunkBytes = 1 << 16;

    /// <summary>
    /// Opens <paramref name="path"/> for decoding, refusing a missing file with a message that names it: the file
    /// itself, or a gunzipping, trailer-checking view of it when it starts with the gzip magic 1F 8B. Disposing the
    /// returned stream closes the file.
    /// </summary>
    public static Stream OpenDecoded(string path)
    {
        if (!File.Exists(path))
        {
            throw new AcrDataException($"'{path}' does not exist. Check the path, or run 'acr fetch' to download the data set.");
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes);
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && head[0] == 0x1F && head[1] == 0x8B ? new CheckedGzipStream(file, leaveOpen: false) : file;
    }

    /// <summary>The element size in bytes.</summary>
    public static int SizeOf(ArrayElementType type) => type switch
    {
        ArrayElementType.UInt8 or ArrayElementType.Int8 => 1,
        ArrayElementType.Int16 => 2,
        ArrayElementType.Int32 or ArrayElementType.Float32 => 4,
        ArrayElementType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>
    /// The product of <paramref name="shape"/>, refused when a dimension is negative or the
    /// product exceeds <paramref name="maxElements"/> (checked after every factor, so it cannot overflow).
    /// </summary>
    public static long CountElements(IReadOnlyList<long> shape, long maxElements, string source)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0 || d > int.MaxValue)
            {
                throw new AcrDataException($"'{source}': dimension {d} is out of range; the header is corrupt.");
            }

            if (d != 0 && count > maxElements / d)
            {
                throw new AcrDataException(
                    $"'{source}': the header promises shape ({string.Join(", ", shape)}), more than the limit of {maxElements} elements. " +
                    "Use a smaller file or raise the limit.");
            }

            count *= d;
        }

        if (count > Array.MaxLength)
        {
            throw new AcrDataException($"'{source}': {count} elements do not fit in one array.");
        }

        return count;
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes or reports a truncated file.</summary>
    public static void ReadExact(Stream stream, Span<byte> buffer, string source, string what)
    {
        int n = ReadFully(stream, buffer, source);
        if (n < buffer.Length)
        {
            throw new AcrDataException($"'{source}' is truncated: it ends inside the {what}. Download the file again.");
        }
    }

    /// <summary>
    /// Decodes <paramref name="count"/> elements of <paramref name="type"/> and then checks that the
    /// stream ends there; a short file or trailing bytes are refused.
    /// </summary>
    public static float[] Decode(Stream stream, long count, ArrayElementType type, bool bigEndian, string source)
    {
        int size = SizeOf(type);
        var values = new float[count];
        byte[] chunk = new byte[ChunkBytes];
        long done = 0;
        while (done < count)
        {
            int elements = (int)Math.Min(count - done, ChunkBytes / size);
            int bytes = elements * size;
            int n = ReadFully(stream, chunk.AsSpan(0, bytes), source);
            if (n < bytes)
            {
                long have = (done * size) + n;
                throw new AcrDataException(
                    $"'{source}' is truncated: the header promises {count * size} bytes of data but the file has {have}. Download the file again.");
            }

            Convert(chunk.AsSpan(0, bytes), values.AsSpan((int)done, elements), type, bigEndian);
            done += elements;
        }

        Span<byte> extra = stackalloc byte[1];
        if (ReadFully(stream, extra, source) != 0)
        {
            throw new AcrDataException(
                $"'{source}' has bytes after the {count} elements its header describes; the header or the file is corrupt.");
        }

        return values;
    }

    private static void Convert(ReadOnlySpan<byte> bytes, Span<float> into, ArrayElementType type, bool big)
    {
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = type switch
            {
                ArrayElementType.UInt8 => bytes[i],
                ArrayElementType.Int8 => (sbyte)bytes[i],
                ArrayElementType.Int16 => big ? BinaryPrimitives.ReadInt16BigEndian(bytes[(2 * i)..]) : BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]),
                ArrayElementType.Int32 => big ? BinaryPrimitives.ReadInt32BigEndian(bytes[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]),
                ArrayElementType.Float32 => big ? BinaryPrimitives.ReadSingleBigEndian(bytes[(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]),
                ArrayElementType.Float64 => (float)(big ? BinaryPrimitives.ReadDoubleBigEndian(bytes[(8 * i)..]) : BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..])),
                _ => throw new ArgumentOutOfRangeException(nameof(type)),
            };
        }
    }

    private static int ReadFully(Stream stream, Span<byte> buffer, string source)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new AcrDataException($"'{source}' is not valid gzip data ({e.Message}). Download the file again.", e);
        }
    }
}
