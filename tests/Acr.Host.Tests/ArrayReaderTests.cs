using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Acr.Host.Data;
using Acr.Host.Data.Arrays;

namespace Acr.Host.Tests;

public class ArrayReaderTests
{
    private static byte[] Idx(byte type, int[] dims, byte[] data)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)dims.Length };
        foreach (int d in dims)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, d);
            bytes.AddRange(b);
        }

        bytes.AddRange(data);
        return bytes.ToArray();
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(raw);
        }

        return ms.ToArray();
    }

    private static byte[] Npy(string header, byte[] data, byte major = 1)
    {
        byte[] h = Encoding.ASCII.GetBytes(header);
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
        if (major == 1)
        {
            bytes.Add((byte)(h.Length & 0xFF));
            bytes.Add((byte)(h.Length >> 8));
        }
        else
        {
            var len = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)h.Length);
            bytes.AddRange(len);
        }

        bytes.AddRange(h);
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    private static string WriteFile(TempDirectory dir, string name, byte[] bytes)
    {
        string path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Idx_ubyte_images_read_raw_and_gzip_with_shape_and_values()
    {
        using var dir = new TempDirectory();
        byte[] raw = Idx(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
        foreach (string path in new[] { WriteFile(dir, "a-idx3-ubyte", raw), WriteFile(dir, "a-idx3-ubyte.gz", Gzip(raw)) })
        {
            NumericArray a = IdxReader.Read(path);
            Assert.Equal([2, 2, 3], a.Shape);
            Assert.Equal([0f, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255], a.Values);
        }
    }

    [Fact]
    public void Idx_int_and_float_types_are_big_endian()
    {
        using var dir = new TempDirectory();
        var ints = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(ints, -7);
        BinaryPrimitives.WriteInt32BigEndian(ints.AsSpan(4), 70000);
        Assert.Equal([-7f, 70000f], IdxReader.Read(WriteFile(dir, "i", Idx(0x0C, [2], ints))).Values);

        var floats = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(floats, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4), -0.25f);
        Assert.Equal([1.5f, -0.25f], IdxReader.Read(WriteFile(dir, "f", Idx(0x0D, [2, 1], floats))).Values);

        var doubles = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(doubles, 3.25);
        Assert.Equal([3.25f], IdxReader.Read(WriteFile(dir, "d", Idx(0x0E, [1], doubles))).Values);

        Assert.Equal([-1f, 5f], IdxReader.Read(WriteFile(dir, "s", Idx(0x09, [2], [0xFF, 5]))).Values);
    }

    [Theory]
    [InlineData("wrong-magic")]
    [InlineData("unknown-type")]
    [InlineData("zero-rank")]
    [InlineData("truncated-dims")]
    [InlineData("truncated-data")]
    [InlineData("trailing")]
    [InlineData("overflow")]
    [InlineData("negative")]
    [InlineData("over-limit")]
    [InlineData("truncated-gzip")]
    [InlineData("empty")]
    public void Idx_malformed_files_are_refused_with_a_message(string kind)
    {
        using var dir = new TempDirectory();
        byte[] good = Idx(0x08, [2, 2], [1, 2, 3, 4]);
        byte[] bytes = kind switch
        {
            "wrong-magic" => [1, 0, 8, 1, 0, 0, 0, 1, 9],
            "unknown-type" => Idx(0x0A, [1], [1]),
            "zero-rank" => [0, 0, 8, 0],
            "truncated-dims" => good[..9],
            "truncated-data" => good[..^1],
            "trailing" => [.. good, 7],
            "overflow" => Idx(0x08, [int.MaxValue, int.MaxValue, int.MaxValue], [1]),
            "negative" => Idx(0x08, [-1], [1]),
            "over-limit" => Idx(0x08, [100, 100], []),
            "truncated-gzip" => Gzip(good)[..^5],
            "empty" => [],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        string path = WriteFile(dir, kind, bytes);
        var e = Assert.Throws<AcrDataException>(() => IdxReader.Read(path, maxElements: 1000));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Idx_missing_file_says_how_to_get_it()
    {
        var e = Assert.Throws<AcrDataException>(() => IdxReader.Read("/nonexistent/train-images-idx3-ubyte.gz"));
        Assert.Contains("acr fetch", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Npy_versions_little_endian_f4_read(byte major)
    {
        using var dir = new TempDirectory();
        var data = new byte[24];
        for (int i = 0; i < 6; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), i * 0.5f);
        }

        string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + new string(' ', 5) + "\n";
        NumericArray a = NpyReader.Read(WriteFile(dir, "a.npy", Npy(header, data, major)));
        Assert.Equal([2, 3], a.Shape);
        Assert.Equal([0f, 0.5f, 1, 1.5f, 2, 2.5f], a.Values);
    }

    [Fact]
    public void Npy_types_byte_orders_scalars_and_gzip()
    {
        using var dir = new TempDirectory();
        var big = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(big, -3);
        BinaryPrimitives.WriteInt32BigEndian(big.AsSpan(4), 1 << 20);
        Assert.Equal([-3f, 1 << 20], NpyReader.Read(WriteFile(dir, "i4", Npy("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }\n", big))).Values);

        var f8 = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(f8, -2.5);
        NumericArray scalar = NpyReader.Read(WriteFile(dir, "f8", Npy("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": ()}\n", f8)));
        Assert.Empty(scalar.Shape);
        Assert.Equal([-2.5f], scalar.Values);

        byte[] u1 = Npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }\n", [0, 128, 255]);
        Assert.Equal([0f, 128, 255], NpyReader.Read(WriteFile(dir, "u1.npy.gz", Gzip(u1))).Values);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n", "Fortran")]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }\n", "not supported")]
    [InlineData("{'descr': '|i4', 'fortran_order': False, 'shape': (2,), }\n", "not supported")]
    [InlineData("{'descr': '<f4', 'shape': (2,), }\n", "required")]
    [InlineData("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", "repeated")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "newline")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", "dimension")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, }\n", "malformed")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000, 2000000000, 2000000000, 2000000000), }\n", "limit")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", "truncated")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", "bytes after")]
    public void Npy_malformed_headers_are_refused_with_a_message(string header, string expected)
    {
        using var dir = new TempDirectory();
        string path = WriteFile(dir, "bad.npy", Npy(header, new byte[8]));
        var e = Assert.Throws<AcrDataException>(() => NpyReader.Read(path, maxElements: 1000));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Npy_wrong_magic_version_and_huge_header_are_refused()
    {
        using var dir = new TempDirectory();
        Assert.Throws<AcrDataException>(() => NpyReader.Read(WriteFile(dir, "m", Encoding.ASCII.GetBytes("NUMPY!!!xxxxxxxxx"))));
        byte[] v4 = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }\n", [], major: 2);
        v4[6] = 4;
        Assert.Contains("version 4", Assert.Throws<AcrDataException>(() => NpyReader.Read(WriteFile(dir, "v4", v4))).Message, StringComparison.Ordinal);
        byte[] huge = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0x7F];
        Assert.Contains("header claims", Assert.Throws<AcrDataException>(() => NpyReader.Read(WriteFile(dir, "h", huge))).Message, StringComparison.Ordinal);
        Assert.Contains("truncated", Assert.Throws<AcrDataException>(() => NpyReader.Read(WriteFile(dir, "t", huge[..7]))).Message, StringComparison.Ordinal);
    }
}
