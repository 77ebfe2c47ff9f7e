using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Acr.Host.Models;

namespace Acr.Host.Tests;

public class SafeTensorsTests
{
    private static float[] FromBits(params uint[] bits) => MemoryMarshal.Cast<uint, float>(bits).ToArray();

    private static uint[] Bits(float[] values) => MemoryMarshal.Cast<float, uint>(values).ToArray();

    private static readonly float[] Special = FromBits(
        0x7FC00000, // quiet NaN
        0x7FC12345, // quiet NaN with payload
        0x7F800001, // signalling NaN
        0xFFC00001, // negative NaN with payload
        0x80000000, // -0.0
        0x00000001, // smallest subnormal
        0x807FFFFF, // largest negative subnormal
        0x7F800000, // +inf
        0xFF800000, // -inf
        0x3F800000, // 1.0
        0x7F7FFFFF, // float.MaxValue
        0x00800000); // smallest normal

    private static byte[] WriteToBytes(IReadOnlyDictionary<string, string>? metadata, params (string Name, int[] Shape, ReadOnlyMemory<float> Data)[] tensors)
    {
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, metadata, tensors);
        return stream.ToArray();
    }

    private static byte[] Sample() => WriteToBytes(
        new Dictionary<string, string> { ["format"] = "acr", ["note"] = "ünïcödé \"quoted\"" },
        ("weight", [3, 4], Special),
        ("scalar", [], new float[] { 2.5f }),
        ("empty", [0, 5], Array.Empty<float>()),
        ("bias", [2], new float[] { -1f, 1f }));

    private static SafeTensorsFile ReadBytes(byte[] bytes) => SafeTensorsFile.Read(new MemoryStream(bytes), "m.safetensors");

    /// <summary>A file with the given JSON header (padded to 8 bytes) and <paramref name="dataBytes"/> zero bytes of data.</summary>
    private static byte[] Raw(string header, int dataBytes, bool pad = true)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        int padded = pad ? (json.Length + 7) / 8 * 8 : json.Length;
        byte[] file = new byte[8 + padded + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        json.CopyTo(file, 8);
        file.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        return file;
    }

    private static ModelFormatException Invalid(byte[] bytes) => Assert.Throws<ModelFormatException>(() => ReadBytes(bytes));

    [Fact]
    public void Round_trip_is_bit_exact_including_nan_payloads_negative_zero_and_subnormals()
    {
        SafeTensorsFile file = ReadBytes(Sample());

        Assert.Equal(["weight", "scalar", "empty", "bias"], file.Tensors.Select(t => t.Name));
        Assert.Equal(Bits(Special), Bits(file["weight"].Data));
        Assert.Equal([3, 4], file["weight"].Shape);
        Assert.Empty(file["scalar"].Shape);
        Assert.Equal([2.5f], file["scalar"].Data);
        Assert.Equal([0, 5], file["empty"].Shape);
        Assert.Empty(file["empty"].Data);
        Assert.Equal([-1f, 1f], file["bias"].Data);
        Assert.Equal("acr", file.Metadata["format"]);
        Assert.Equal("ünïcödé \"quoted\"", file.Metadata["note"]);
        Assert.True(file.TryGetTensor("bias", out _));
        Assert.False(file.TryGetTensor("nope", out _));
        Assert.Throws<KeyNotFoundException>(() => file["nope"]);
    }

    [Fact]
    public void Output_is_deterministic_and_independent_of_metadata_order()
    {
        byte[] first = Sample();
        Assert.Equal(first, Sample());

        var a = new Dictionary<string, string> { ["x"] = "1", ["b"] = "2" };
        var b = new Dictionary<string, string> { ["b"] = "2", ["x"] = "1" };
        Assert.Equal(WriteToBytes(a, ("t", [1], new float[] { 1 })), WriteToBytes(b, ("t", [1], new float[] { 1 })));
    }

    [Fact]
    public void Layout_follows_the_format()
    {
        byte[] bytes = WriteToBytes(new Dictionary<string, string> { ["k"] = "v" }, ("a", [2], new float[] { 1, 2 }), ("b", [1, 1], new float[] { 3 }));
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal(
            """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}""",
            header.TrimEnd(' '));
        Assert.Equal(8 + (int)n + 12, bytes.Length);
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n)));
        Assert.Equal(3f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n + 8)));
    }

    [Fact]
    public void No_metadata_entry_is_written_when_there_is_no_metadata()
    {
        byte[] bytes = WriteToBytes(null, ("a", [1], new float[] { 1 }));
        Assert.DoesNotContain("__metadata__", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Empty(ReadBytes(bytes).Metadata);
    }

    [Fact]
    public void Reads_files_in_the_style_the_python_library_writes()
    {
        // Header keys in any order, metadata last, unpadded header: tensors come back in data order.
        byte[] file = Raw("""{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[2,1],"data_offsets":[4,12]},"__metadata__":{"format":"np"}}""", 12, pad: false);
        BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(file.Length - 12), 7f);
        BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(file.Length - 8), -0.5f);
        BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(file.Length - 4), 1e-3f);

        SafeTensorsFile read = ReadBytes(file);
        Assert.Equal(["b", "a"], read.Tensors.Select(t => t.Name));
        Assert.Equal([7f], read["b"].Data);
        Assert.Equal([-0.5f, 1e-3f], read["a"].Data);
        Assert.Equal("np", read.Metadata["format"]);
    }

    [Fact]
    public void Reads_from_a_path_and_a_non_seekable_stream()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        SafeTensorsWriter.Write(path, new Dictionary<string, string> { ["k"] = "v" }, [("w", [2], new float[] { 1, 2 })]);
        Assert.Equal([1f, 2f], SafeTensorsFile.Read(path)["w"].Data);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));

        using var forward = new ForwardOnlyStream(File.ReadAllBytes(path));
        Assert.Equal([1f, 2f], SafeTensorsFile.Read(forward)["w"].Data);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        var ex = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Read("/nonexistent/m.safetensors"));
        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_is_rejected()
    {
        byte[] full = Sample();
        for (int length = 0; length < full.Length; length++)
        {
            Invalid(full[..length]);
        }

        var ex = Invalid(full[..5]);
        Assert.Contains("'m.safetensors' is not a valid .safetensors file", ex.Message, StringComparison.Ordinal);
        Assert.Contains("shorter than the 8-byte header length", ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", Invalid(full[..^1]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        Assert.Contains("trailing", Invalid([.. Sample(), 0]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_length_beyond_the_file_is_rejected()
    {
        byte[] bytes = new byte[1024];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 8UL << 30);
        Assert.Equal(
            "'m.safetensors' is not a valid .safetensors file: header length 8 GiB exceeds file size 1 KiB (truncated or corrupted)",
            Invalid(bytes).Message);

        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        Invalid(bytes);
    }

    [Fact]
    public void Header_over_100_MB_is_rejected_before_it_is_read()
    {
        using var huge = new ZeroStream(length: 200_000_000, headerLength: 100_000_001);
        var ex = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Read(huge, "big.safetensors"));
        Assert.Contains("100 MB", ex.Message, StringComparison.Ordinal);
        Assert.True(huge.BytesRead <= 8);
    }

    [Fact]
    public void Every_header_byte_replaced_by_invalid_utf8_is_rejected()
    {
        byte[] full = Sample();
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(full);
        for (int i = 8; i < 8 + n; i++)
        {
            byte[] corrupt = (byte[])full.Clone();
            corrupt[i] = 0xFF;
            Invalid(corrupt);
        }
    }

    [Fact]
    public void Corrupted_header_length_is_rejected()
    {
        byte[] full = Sample();
        for (int bit = 0; bit < 64; bit++)
        {
            byte[] corrupt = (byte[])full.Clone();
            corrupt[bit / 8] ^= (byte)(1 << (bit % 8));
            Invalid(corrupt);
        }
    }

    [Theory]
    [InlineData("""[1, 2]""", 0, "must start with")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", 4, "not valid JSON")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},}""", 4, "not valid JSON")]
    [InlineData("""{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", 4, "dtype F16")]
    [InlineData("""{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", 8, "only F32")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12 bytes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "overlaps")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}""", 16, "gap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "gap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 8, "end before begin")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "more than once")]
    [InlineData("""{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "must be strings")]
    [InlineData("""{"__metadata__":{"k":"v","k":"w"}}""", 0, "more than once")]
    [InlineData("""{"__metadata__":["k"]}""", 0, "must be an object of strings")]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", 4, "no 'dtype'")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", 4, "no 'shape'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]}}""", 4, "no 'data_offsets'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "invalid dimension")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4, "invalid dimension")]
    [InlineData("""{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}""", 4, "not an array")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4, "expected [begin, end]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}}""", 4, "invalid data offset")]
    [InlineData("""{"a":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,4]}}""", 4, "more elements")]
    [InlineData("""{"a":[1]}""", 4, "must be an object with dtype")]
    [InlineData("""{"a":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}""", 4, "not a string")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "trailing")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "truncated")]
    [InlineData("""  {}""", 0, "must start with '{'")]
    public void Invalid_headers_are_rejected_with_a_clear_message(string header, int dataBytes, string expected)
    {
        var ex = Invalid(Raw(header, dataBytes));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("m.safetensors", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_and_minimal_headers()
    {
        byte[] zero = new byte[8];
        Assert.Contains("too short", Invalid(zero).Message, StringComparison.Ordinal);

        SafeTensorsFile empty = ReadBytes(Raw("{}", 0));
        Assert.Empty(empty.Tensors);
        Assert.Empty(empty.Metadata);
    }

    [Fact]
    public void Writer_rejects_invalid_tensors()
    {
        Assert.Throws<ArgumentException>(() => WriteToBytes(null, ("a", [3], new float[] { 1, 2 })));
        Assert.Throws<ArgumentException>(() => WriteToBytes(null, ("a", [1], new float[] { 1 }), ("a", [1], new float[] { 2 })));
        Assert.Throws<ArgumentException>(() => WriteToBytes(null, ("", [1], new float[] { 1 })));
        Assert.Throws<ArgumentException>(() => WriteToBytes(null, ("__metadata__", [1], new float[] { 1 })));
        Assert.Throws<ArgumentException>(() => WriteToBytes(null, ("a", [-1], Array.Empty<float>())));
    }

    /// <summary>A stream that can only be read forwards, like a network stream.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }

    /// <summary>A seekable stream of the given length: an 8-byte header length, then zeros (nothing is stored).</summary>
    private sealed class ZeroStream(long length, ulong headerLength) : Stream
    {
        private long _position;

        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => _position = value; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            for (int i = 0; i < n; i++)
            {
                long p = _position + i;
                buffer[offset + i] = p < 8 ? (byte)(headerLength >> (int)(8 * p)) : (byte)0;
            }

            _position += n;
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
