using System.Buffers.Binary;
using System.IO.Compression;

namespace Acr.Host.Data;

/// <summary>
/// Decompresses a gzip stream and, at its end, checks the CRC-32 and the length recorded in the
/// gzip trailer against the decompressed bytes. <see cref="GZipStream"/> alone silently returns
/// partial data for a truncated file; this stream throws <see cref="InvalidDataException"/> instead.
/// </summary>
/// <remarks>
/// The trailer is the last 8 bytes of the compressed stream, so files made of several
/// concatenated gzip members (e.g. bgzip output) are reported as corrupted: decompress and
/// recompress them with plain gzip.
/// </remarks>
internal sealed class CheckedGzipStream : ForwardReadStream
{
    private readonly TailRecorder _compressed;
    private readonly GZipStream _gzip;
    private readonly Stream? _owned;
    private uint _crc = Crc32.Initial;
    private ulong _length;
    private bool _verified;

    /// <summary>Creates the stream.</summary>
    /// <param name="compressed">The gzip data; read to its end.</param>
    /// <param name="leaveOpen">Whether <paramref name="compressed"/> stays open when this stream is disposed.</param>
    public CheckedGzipStream(Stream compressed, bool leaveOpen = true)
    {
        _owned = leaveOpen ? null : compressed;
        _compressed = new TailRecorder(compressed);
        _gzip = new GZipStream(_compressed, CompressionMode.Decompress, leaveOpen: true);
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        int n = _gzip.Read(buffer);
        if (n > 0)
        {
            _crc = Crc32.Append(_crc, buffer[..n]);
            _length += (ulong)n;
        }
        else if (!_verified)
        {
            Verify();
            _verified = true;
        }

        return n;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
            _owned?.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Verify()
    {
        _compressed.Drain();
        ReadOnlySpan<byte> tail = _compressed.Tail;
        if (tail.Length < 8)
        {
            throw new InvalidDataException("the gzip data is too short to hold its trailer");
        }

        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        uint expectedLength = BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]);
        if (expectedCrc != Crc32.Finish(_crc) || expectedLength != (uint)_length)
        {
            throw new InvalidDataException("the decompressed data does not match the gzip checksum, so the file is truncated or corrupted (a file of several concatenated gzip members is not supported either: decompress it and compress it again with gzip)");
        }
    }

    /// <summary>Passes reads through and remembers the last 8 bytes read.</summary>
    private sealed class TailRecorder(Stream inner) : ForwardReadStream
    {
        private readonly byte[] _tail = new byte[8];
        private int _tailLength;

        public ReadOnlySpan<byte> Tail => _tail.AsSpan(0, _tailLength);

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            Remember(buffer[..n]);
            return n;
        }

        /// <summary>Reads whatever is left, so that <see cref="Tail"/> holds the true end of the data.</summary>
        public void Drain()
        {
            Span<byte> scratch = stackalloc byte[4096];
            while (Read(scratch) > 0)
            {
            }
        }

        private void Remember(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length >= _tail.Length)
            {
                bytes[^_tail.Length..].CopyTo(_tail);
                _tailLength = _tail.Length;
                return;
            }

            int keep = Math.Min(_tailLength, _tail.Length - bytes.Length);
            _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
            bytes.CopyTo(_tail.AsSpan(keep));
            _tailLength = keep + bytes.Length;
        }
    }
}
