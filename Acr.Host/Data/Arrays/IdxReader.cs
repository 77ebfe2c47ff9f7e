using System.Buffers.Binary;

namespace Acr.Host.Data.Arrays;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed: two zero bytes,
/// a type byte (0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the
/// number of dimensions, each dimension as a big-endian int32, then the big-endian data in C order.
/// </summary>
/// <remarks>
/// Strict and bounded: a wrong magic, an unknown type, more than <see cref="MaxDimensions"/>
/// dimensions, a shape whose product exceeds the element limit, a file shorter than its header
/// promises and trailing bytes are all refused with an <see cref="AcrDataException"/>.
/// </remarks>
public static class IdxReader
{
    /// <summary>The most dimensions an IDX header may declare.</summary>
    public const int MaxDimensions = 8;

    /// <summary>Reads the whole array in <paramref name="path"/>.</summary>
    /// <param name="path">An IDX file, optionally gzip-compressed.</param>
    /// <param name="maxElements">The most elements accepted; larger headers are refused before any allocation.</param>
    /// <returns>The shape and the values converted to float (pixels are not scaled).</returns>
    public static NumericArray Read(string path, long maxElements = ArrayDecoder.DefaultMaxElements)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxElements);
        using Stream data = ArrayDecoder.OpenDecoded(path);
        Span<byte> magic = stackalloc byte[4];
        ArrayDecoder.ReadExact(data, magic, path, "IDX magic number");
        if (magic[0] != 0 || magic[1] != 0)
        {
            throw new AcrDataException(
                $"'{path}' is not an IDX file: it must start with bytes 00 00, not {magic[0]:X2} {magic[1]:X2}. " +
                "Pass an images or labels file such as train-images-idx3-ubyte.gz.");
        }

        ArrayElementType type = magic[2] switch
        {
            0x08 => ArrayElementType.UInt8,
            0x09 => ArrayElementType.Int8,
            0x0B => ArrayElementType.Int16,
            0x0C => ArrayElementType.Int32,
            0x0D => ArrayElementType.Float32,
            0x0E => ArrayElementType.Float64,
            _ => throw new AcrDataException(
                $"'{path}': IDX type byte 0x{magic[2]:X2} is unknown; expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E."),
        };

        int rank = magic[3];
        if (rank == 0 || rank > MaxDimensions)
        {
            throw new AcrDataException($"'{path}': the IDX header declares {rank} dimensions; 1 to {MaxDimensions} are accepted.");
        }

        Span<byte> dims = stackalloc byte[4 * rank];
        ArrayDecoder.ReadExact(data, dims, path, "IDX dimensions");
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(dims[(4 * i)..]);
        }

        long count = ArrayDecoder.CountElements(shape, maxElements, path);
        float[] values = ArrayDecoder.Decode(data, count, type, bigEndian: true, path);
        return new NumericArray(shape.Select(d => (int)d).ToArray(), values, path);
    }
}
