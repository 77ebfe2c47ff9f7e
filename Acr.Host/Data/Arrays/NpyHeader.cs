using System.Globalization;

namespace Acr.Host.Data.Arrays;

/// <summary>
/// The parsed dictionary of an NPY header, e.g.
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>.
/// </summary>
internal sealed class NpyHeader
{
    private readonly string _text;
    private readonly string _source;
    private int _pos;

    private NpyHeader(string text, string source)
    {
        _text = text;
        _source = source;
    }

    /// <summary>The element type.</summary>
    public ArrayElementType ElementType { get; private set; }

    /// <summary>Whether multi-byte elements are big-endian.</summary>
    public bool BigEndian { get; private set; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; private set; } = [];

    /// <summary>Parses <paramref name="text"/>, which must end with a newline (padding spaces before it are allowed).</summary>
    public static NpyHeader Parse(string text, string source)
    {
        var header = new NpyHeader(text, source);
        header.ParseDict();
        return header;
    }

    private void ParseDict()
    {
        if (_text.Length == 0 || _text[^1] != '\n')
        {
            throw Fail("the header must end with a newline");
        }

        string? descr = null;
        bool? fortran = null;
        List<long>? shape = null;
        SkipSpace();
        Expect('{');
        while (true)
        {
            SkipSpace();
            if (TryTake('}'))
            {
                break;
            }

            string key = ReadString();
            SkipSpace();
            Expect(':');
            SkipSpace();
            switch (key)
            {
                case "descr" when descr is null:
                    descr = ReadString();
                    break;
                case "fortran_order" when fortran is null:
                    fortran = ReadBool();
                    break;
                case "shape" when shape is null:
                    shape = ReadTuple();
                    break;
                default:
                    throw Fail($"unexpected or repeated key '{key}'");
            }

            SkipSpace();
            if (!TryTake(','))
            {
                SkipSpace();
                Expect('}');
                break;
            }
        }

        SkipSpace();
        if (_pos != _text.Length)
        {
            throw Fail("text follows the closing brace");
        }

        if (descr is null || fortran is null || shape is null)
        {
            throw Fail("the keys 'descr', 'fortran_order' and 'shape' are all required");
        }

        if (fortran.Value)
        {
            throw new AcrDataException(
                $"'{_source}' holds a Fortran-ordered array, which is not supported. Save it in C order: np.save(path, np.ascontiguousarray(a)).");
        }

        SetType(descr);
        Shape = shape;
    }

    private void SetType(string descr)
    {
        if (descr.Length != 3 || descr[0] is not ('<' or '>' or '|' or '='))
        {
            throw Unsupported(descr);
        }

        ElementType = descr[1..] switch
        {
            "u1" => ArrayElementType.UInt8,
            "i1" => ArrayElementType.Int8,
            "i2" => ArrayElementType.Int16,
            "i4" => ArrayElementType.Int32,
            "f4" => ArrayElementType.Float32,
            "f8" => ArrayElementType.Float64,
            _ => throw Unsupported(descr),
        };
        bool oneByte = ArrayDecoder.SizeOf(ElementType) == 1;
        if (descr[0] == '|' && !oneByte)
        {
            throw Unsupported(descr);
        }

        BigEndian = descr[0] == '>' || (descr[0] == '=' && !BitConverter.IsLittleEndian);
    }

    private AcrDataException Unsupported(string descr) => new(
        $"'{_source}': NPY element type '{descr}' is not supported; use u1, i1, i2, i4, f4 or f8 (e.g. a.astype(np.float32)).");

    private string ReadString()
    {
        char quote = Peek();
        if (quote is not ('\'' or '"'))
        {
            throw Fail("expected a quoted string");
        }

        _pos++;
        int end = _text.IndexOf(quote, _pos);
        if (end < 0)
        {
            throw Fail("unterminated string");
        }

        string value = _text[_pos..end];
        _pos = end + 1;
        return value;
    }

    private bool ReadBool()
    {
        if (_text.AsSpan(_pos).StartsWith("True", StringComparison.Ordinal))
        {
            _pos += 4;
            return true;
        }

        if (_text.AsSpan(_pos).StartsWith("False", StringComparison.Ordinal))
        {
            _pos += 5;
            return false;
        }

        throw Fail("expected True or False");
    }

    private List<long> ReadTuple()
    {
        Expect('(');
        var dims = new List<long>();
        while (true)
        {
            SkipSpace();
            if (TryTake(')'))
            {
                return dims;
            }

            int start = _pos;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                _pos++;
            }

            if (_pos == start || _pos - start > 18)
            {
                throw Fail("expected a non-negative dimension");
            }

            dims.Add(long.Parse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture));
            if (dims.Count > IdxReader.MaxDimensions)
            {
                throw Fail($"more than {IdxReader.MaxDimensions} dimensions");
            }

            SkipSpace();
            if (!TryTake(','))
            {
                SkipSpace();
                Expect(')');
                return dims;
            }
        }
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private bool TryTake(char c)
    {
        if (Peek() != c)
        {
            return false;
        }

        _pos++;
        return true;
    }

    private void Expect(char c)
    {
        if (!TryTake(c))
        {
            throw Fail($"expected '{c}'");
        }
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\n' or '\t' or '\r')
        {
            _pos++;
        }
    }

    private AcrDataException Fail(string what) => new(
        $"'{_source}': the NPY header is malformed ({what} at character {_pos}). Save the array with numpy.save.");
}
