namespace Acr.Host.Data;

/// <summary>
/// A streaming RFC 4180-style CSV tokenizer that exposes the fields of the current record as
/// spans into its own buffer, so that numeric fields can be parsed without allocating strings.
/// </summary>
/// <remarks>
/// Handles quoted fields (which may contain the delimiter, line breaks and doubled quotes),
/// LF, CRLF and lone CR line endings, whitespace around fields (spaces, and tabs unless the
/// delimiter is a tab) and blank lines, which are skipped. Spans returned by
/// <see cref="Field(int)"/> are valid until the next call to <see cref="ReadRecord"/>.
/// </remarks>
internal sealed class CsvRecordReader
{
    private const int InitialBufferSize = 1 << 16;
    private const byte KindPlain = 0;
    private const byte KindQuoted = 1;
    private const byte KindQuotedEscaped = 2;

    private readonly TextReader _reader;
    private readonly char _delimiter;
    private readonly string _source;
    private char[] _buffer = new char[InitialBufferSize];
    private int _pos;
    private int _end;
    private bool _eof;
    private long _nextLine = 1;

    private int[] _starts = new int[32];
    private int[] _lengths = new int[32];
    private byte[] _kinds = new byte[32];
    private int _count;

    private enum ParseResult
    {
        Complete,
        NeedMore,
    }

    /// <summary>Creates a tokenizer over <paramref name="reader"/>.</summary>
    /// <param name="reader">The text to read.</param>
    /// <param name="delimiter">The field separator.</param>
    /// <param name="source">The file or resource name, used in error messages.</param>
    public CsvRecordReader(TextReader reader, char delimiter, string source)
    {
        _reader = reader;
        _delimiter = delimiter;
        _source = source;
    }

    /// <summary>The field separator.</summary>
    public char Delimiter => _delimiter;

    /// <summary>Number of fields in the current record.</summary>
    public int FieldCount => _count;

    /// <summary>1-based line number where the current record starts.</summary>
    public long Line { get; private set; }

    /// <summary>The (trimmed, unquoted, unescaped) text of field <paramref name="index"/> of the current record.</summary>
    /// <param name="index">0-based field index.</param>
    /// <returns>A span valid until the next <see cref="ReadRecord"/>.</returns>
    public ReadOnlySpan<char> Field(int index) => _buffer.AsSpan(_starts[index], _lengths[index]);

    /// <summary>Advances to the next non-blank record.</summary>
    /// <returns><see langword="false"/> at the end of the input.</returns>
    /// <exception cref="AcrDataException">A quoted field is not closed, or text follows a closing quote.</exception>
    public bool ReadRecord()
    {
        while (true)
        {
            if (_pos >= _end)
            {
                if (_eof || !Fill())
                {
                    return false;
                }
            }

            if (TryParse(_eof, out int consumed) == ParseResult.NeedMore)
            {
                // The record continues past the buffered text: read more (or learn that the input ended) and parse again.
                Fill();
                continue;
            }

            Line = _nextLine;
            _nextLine += _buffer.AsSpan(_pos, consumed - _pos).Count('\n');
            _pos = consumed;

            if (_count == 1 && _lengths[0] == 0 && _kinds[0] == KindPlain)
            {
                continue; // a blank (or whitespace-only) line
            }

            for (int f = 0; f < _count; f++)
            {
                if (_kinds[f] == KindQuotedEscaped)
                {
                    Unescape(f);
                }
            }

            return true;
        }
    }

    private bool IsSpace(char c) => (c == ' ' || c == '\t') && c != _delimiter;

    private ParseResult TryParse(bool atEof, out int consumed)
    {
        consumed = 0;
        _count = 0;
        char[] buf = _buffer;
        int end = _end;
        int i = _pos;
        while (true)
        {
            while (i < end && IsSpace(buf[i]))
            {
                i++;
            }

            if (i == end && !atEof)
            {
                return ParseResult.NeedMore;
            }

            if (i < end && buf[i] == '"')
            {
                int contentStart = i + 1;
                bool escaped = false;
                i++;
                while (true)
                {
                    int q = buf.AsSpan(i, end - i).IndexOf('"');
                    if (q < 0)
                    {
                        if (atEof)
                        {
                            throw new AcrDataException(
                                $"'{_source}', line {_nextLine}: a quoted field is not closed (missing closing '\"'); close the quote, and write a quote inside a quoted field as \"\"");
                        }

                        return ParseResult.NeedMore;
                    }

                    i += q;
                    if (i + 1 >= end && !atEof)
                    {
                        return ParseResult.NeedMore;
                    }

                    if (i + 1 < end && buf[i + 1] == '"')
                    {
                        escaped = true;
                        i += 2;
                        continue;
                    }

                    break;
                }

                int contentEnd = i;
                i++;
                while (i < end && IsSpace(buf[i]))
                {
                    i++;
                }

                if (i == end && !atEof)
                {
                    return ParseResult.NeedMore;
                }

                if (i < end && buf[i] != _delimiter && buf[i] != '\r' && buf[i] != '\n')
                {
                    long line = _nextLine + buf.AsSpan(_pos, i - _pos).Count('\n');
                    throw new AcrDataException(
                        $"'{_source}', line {line.ToString(CultureInfo.InvariantCulture)}, field {(_count + 1).ToString(CultureInfo.InvariantCulture)}: unexpected text after a closing quote; quote the whole field and write a quote inside it as \"\"");
                }

                AddField(contentStart, contentEnd - contentStart, escaped ? KindQuotedEscaped : KindQuoted);
            }
            else
            {
                int start = i;
                int stop = buf.AsSpan(i, end - i).IndexOfAny(_delimiter, '\r', '\n');
                if (stop < 0)
                {
                    if (!atEof)
                    {
                        return ParseResult.NeedMore;
                    }

                    i = end;
                }
                else
                {
                    i += stop;
                }

                int fieldEnd = i;
                while (fieldEnd > start && IsSpace(buf[fieldEnd - 1]))
                {
                    fieldEnd--;
                }

                AddField(start, fieldEnd - start, KindPlain);
            }

            if (i >= end)
            {
                consumed = end;
                return ParseResult.Complete;
            }

            char terminator = buf[i];
            if (terminator == _delimiter)
            {
                i++;
                continue;
            }

            if (terminator == '\r')
            {
                if (i + 1 >= end && !atEof)
                {
                    return ParseResult.NeedMore;
                }

                i++;
                if (i < end && buf[i] == '\n')
                {
                    i++;
                }
            }
            else
            {
                i++;
            }

            consumed = i;
            return ParseResult.Complete;
        }
    }

    private void AddField(int start, int length, byte kind)
    {
        if (_count == _starts.Length)
        {
            int size = _count * 2;
            Array.Resize(ref _starts, size);
            Array.Resize(ref _lengths, size);
            Array.Resize(ref _kinds, size);
        }

        _starts[_count] = start;
        _lengths[_count] = length;
        _kinds[_count] = kind;
        _count++;
    }

    private void Unescape(int field)
    {
        Span<char> text = _buffer.AsSpan(_starts[field], _lengths[field]);
        int w = 0;
        for (int r = 0; r < text.Length; r++)
        {
            text[w++] = text[r];
            if (text[r] == '"')
            {
                r++; // skip the second quote of the pair
            }
        }

        _lengths[field] = w;
    }

    private bool Fill()
    {
        if (_eof)
        {
            return false;
        }

        if (_pos > 0)
        {
            Array.Copy(_buffer, _pos, _buffer, 0, _end - _pos);
            _end -= _pos;
            _pos = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= Array.MaxLength / 2)
            {
                throw new AcrDataException($"'{_source}', line {_nextLine}: a single record is larger than 1 GB; check for an unclosed quote");
            }

            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read = _reader.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
            return false;
        }

        _end += read;
        return true;
    }
}
