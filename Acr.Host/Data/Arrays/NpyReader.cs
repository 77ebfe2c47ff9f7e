using System.Buffers.Binary;
using System.Text;

namespace Acr.Host.Data.Arrays;

/// <summary>
/// Reads NumPy <c>.npy</c> files, raw or gzip-compressed: format versions 1.0 (16-bit header
/// length), 2.0 and 3.0 (32-bit header length; 3.0 allows UTF-8), element types
/// <c>u1</c>, <c>i1</c>, <c>i2</c>, <c>i4</c>, <c>f4</c> and <c>f8</c> in either byte order, C order only.
/// </summary>
/// <remarks>
/// Fortran-ordered arrays are refused with a message (save them with
/// <c>np.save(path, np.ascontiguousarray(a))</c>); object arrays and other types are refused too.
/// The header is limited to <see cref="MaxHeaderBytes"/> bytes and parsed strictly: a Python dict
/// literal with exactly the keys <c>descr</c>, <c>fortran_order</c> and <c>shape</c>.
/// </remarks>
public static class NpyReader
{
    /// <summary>The largest header accepted, in bytes.</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the whole array in <paramref name="path"/>.</summary>
    /// <param name="path">A <c>.npy</c> file, optionally gzip-compressed.</param>
    /// <param name="maxElements">The most elements accepted; larger headers are refused before any allocation.</param>
    /// <returns>The shape and the values converted to float.</returns>
    public static NumericArray Read(string path, long maxElements = ArrayDecoder.DefaultMaxElements)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxElements);
        using Stream data = ArrayDecoder.OpenDecoded(path);
        Span<byte> preamble = stackalloc byte[8];
        ArrayDecoder.ReadExact(data, preamble, path, "NPY magic string");
        if (!preamble[..6].SequenceEqual(Magic))
        {
            throw new AcrDataException($"'{path}' is not an NPY file: it must start with \\x93NUMPY. Save arrays with numpy.save.");
        }

        byte major = preamble[6];
        long headerLength;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            ArrayDecoder.ReadExact(data, len, path, "NPY header length");
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else if (major is 2 or 3)
        {
            Span<byte> len = stackalloc byte[4];
            ArrayDecoder.ReadExact(data, len, path, "NPY header length");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(len);
        }
        else
        {
            throw new AcrDataException($"'{path}': NPY format version {major}.{preamble[7]} is not supported; versions 1, 2 and 3 are.");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw new AcrDataException($"'{path}': the NPY header claims {headerLength} bytes; at most {MaxHeaderBytes} are accepted.");
        }

        byte[] headerBytes = new byte[headerLength];
        ArrayDecoder.ReadExact(data, headerBytes, path, "NPY header");
        string header = (major == 3 ? new UTF8Encoding(false, true) : Encoding.Latin1).GetString(headerBytes);
        NpyHeader parsed = NpyHeader.Parse(header, path);
        long count = ArrayDecoder.CountElements(parsed.Shape, maxElements, path);
        float[] values = ArrayDecoder.Decode(data, count, parsed.ElementType, parsed.BigEndian, path);
        return new NumericArray(parsed.Shape.Select(d => (int)d).ToArray(), values, path);
    }
}
