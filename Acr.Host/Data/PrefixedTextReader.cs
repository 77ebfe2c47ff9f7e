namespace Acr.Host.Data;

/// <summary>Reads text already taken from a reader (to look at it first), then the rest of that reader.</summary>
internal sealed class PrefixedTextReader(ReadOnlyMemory<char> prefix, TextReader rest) : TextReader
{
    private ReadOnlyMemory<char> _prefix = prefix;

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override int Read(Span<char> buffer)
    {
        if (_prefix.IsEmpty)
        {
            return rest.Read(buffer);
        }

        var n = Math.Min(buffer.Length, _prefix.Length);
        _prefix.Span[..n].CopyTo(buffer);
        _prefix = _prefix[n..];
        return n;
    }

    public override int Peek() => _prefix.IsEmpty ? rest.Peek() : _prefix.Span[0];

    public override int Read()
    {
        if (_prefix.IsEmpty)
        {
            return rest.Read();
        }

        var c = _prefix.Span[0];
        _prefix = _prefix[1..];
        return c;
    }
}
