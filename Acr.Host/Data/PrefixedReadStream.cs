namespace Acr.Host.Data;

/// <summary>
/// A read-only, forward-only stream that returns a few already-read bytes before the rest of an
/// inner stream. Used to sniff magic bytes of streams that cannot seek.
/// </summary>
internal sealed class PrefixedReadStream : ForwardReadStream
{
    private readonly byte[] _prefix;
    private readonly Stream _inner;
    private int _prefixPos;

    /// <summary>Creates the stream.</summary>
    /// <param name="prefix">Bytes to return first.</param>
    /// <param name="inner">The stream that continues after the prefix; it is not disposed by this stream.</param>
    public PrefixedReadStream(byte[] prefix, Stream inner)
    {
        _prefix = prefix;
        _inner = inner;
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (_prefixPos < _prefix.Length)
        {
            int n = Math.Min(buffer.Length, _prefix.Length - _prefixPos);
            _prefix.AsSpan(_prefixPos, n).CopyTo(buffer);
            _prefixPos += n;
            return n;
        }

        return _inner.Read(buffer);
    }
}
