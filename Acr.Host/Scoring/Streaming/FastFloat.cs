namespace Acr.Host.Scoring.Streaming;

/// <summary>
/// Parses a decimal number to <see cref="float"/> with the same result, bit for bit, as
/// <c>float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture)</c> (the CSV reader's rule), several times
/// faster on the plain numbers data files hold.
/// </summary>
/// <remarks>
/// The fast path takes <c>[+-]digits[.digits][e[+-]digits]</c> with at most 19 significant digits, whose value is
/// m·10^e with m &lt; 2^53 and |e| ≤ 22: then m and 10^|e| are exact doubles and one multiplication or division gives
/// the correctly rounded double d (Clinger). Rounding d to float gives the correctly rounded float unless d is exactly
/// halfway between two floats (the true value may then lie on either side), so that case, subnormal and out-of-range
/// results and every other text go to <see cref="float.TryParse(ReadOnlySpan{char}, NumberStyles, IFormatProvider?, out float)"/>.
/// </remarks>
internal static class FastFloat
{
    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>Parses <paramref name="text"/>; false when it is not a number (NaN and infinities parse, as with <see cref="float.TryParse(ReadOnlySpan{char}, NumberStyles, IFormatProvider?, out float)"/>).</summary>
    /// <param name="text">The field.</param>
    /// <param name="value">The value.</param>
    public static bool TryParse(ReadOnlySpan<char> text, out float value)
    {
        if (TryFast(text, out value))
        {
            return true;
        }

        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryFast(ReadOnlySpan<char> s, out float value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (s.Length == 0)
        {
            return false;
        }

        if (s[0] == '-')
        {
            negative = true;
            i = 1;
        }
        else if (s[0] == '+')
        {
            i = 1;
        }

        ulong mantissa = 0;
        var digits = 0;
        var exponent = 0;
        var any = false;
        if (!AccumulateDigits(s, ref i, ref mantissa, ref digits, ref any, out _))
        {
            return false;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            if (!AccumulateDigits(s, ref i, ref mantissa, ref digits, ref any, out var fractionDigits))
            {
                return false;
            }

            exponent -= fractionDigits;
        }

        if (!any)
        {
            return false;
        }

        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            i++;
            var negativeExponent = false;
            if (i < s.Length && (s[i] == '-' || s[i] == '+'))
            {
                negativeExponent = s[i] == '-';
                i++;
            }

            var start = i;
            var e = 0;
            while (i < s.Length)
            {
                var d = (uint)(s[i] - '0');
                if (d > 9 || e > 100_000)
                {
                    break;
                }

                e = (e * 10) + (int)d;
                i++;
            }

            if (i == start)
            {
                return false;
            }

            exponent += negativeExponent ? -e : e;
        }

        if (i != s.Length)
        {
            return false;
        }

        if (mantissa == 0)
        {
            value = negative ? -0.0f : 0.0f;
            return true;
        }

        if (mantissa > (1UL << 53) || exponent is < -22 or > 22)
        {
            return false;
        }

        double result = exponent >= 0 ? mantissa * PowersOfTen[exponent] : mantissa / PowersOfTen[-exponent];
        var bits = BitConverter.DoubleToUInt64Bits(result);
        if ((bits & 0x1FFF_FFFFUL) == 0x1000_0000UL || result < 1.1754943508222875e-38 || result > 3.4028234663852886e38)
        {
            return false; // halfway between two floats, subnormal or out of range: the exact parser decides
        }

        var f = (float)result;
        value = negative ? -f : f;
        return true;
    }

    /// <summary>
    /// Reads the decimal digits at <paramref name="i"/> into <paramref name="mantissa"/> (leading zeros are not counted as
    /// significant); false when more than 19 significant digits would overflow it, so the caller falls back.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool AccumulateDigits(ReadOnlySpan<char> s, ref int i, ref ulong mantissa, ref int digits, ref bool any, out int count)
    {
        count = 0;
        while (i < s.Length)
        {
            var d = (uint)(s[i] - '0');
            if (d > 9)
            {
                break;
            }

            any = true;
            if (mantissa != 0 || d != 0)
            {
                if (digits == 19)
                {
                    return false;
                }

                mantissa = (mantissa * 10) + d;
                digits++;
            }

            count++;
            i++;
        }

        return true;
    }
}
