using System.CommandLine.Parsing;
using System.Numerics;

namespace Acr.Host.Cli;

/// <summary>
/// Gives every numeric option of the command tree a parser that words a bad value in the project's terms
/// ("--seed takes a whole number from 0 to 18446744073709551615; got '-1'") instead of System.CommandLine's
/// "as expected type 'System.UInt64'". Applied once to the root, so an option added later is covered too.
/// </summary>
internal static class NumericOptionParsers
{
    /// <summary>Installs the parsers on every option of <paramref name="root"/> and its subcommands that has none.</summary>
    /// <param name="root">The root command.</param>
    public static void Apply(Command root)
    {
        foreach (var option in root.Options)
        {
            Install(option);
        }

        foreach (var command in root.Subcommands)
        {
            Apply(command);
        }
    }

    private static void Install(Option option)
    {
        switch (option)
        {
            case Option<int> o when o.CustomParser is null:
                o.CustomParser = r => Parse<int>(r, o.Name, "a whole number", int.MinValue, int.MaxValue);
                break;
            case Option<int?> o when o.CustomParser is null:
                o.CustomParser = r => Parse<int>(r, o.Name, "a whole number", int.MinValue, int.MaxValue);
                break;
            case Option<long> o when o.CustomParser is null:
                o.CustomParser = r => Parse<long>(r, o.Name, "a whole number", long.MinValue, long.MaxValue);
                break;
            case Option<ulong> o when o.CustomParser is null:
                o.CustomParser = r => Parse<ulong>(r, o.Name, "a whole number", ulong.MinValue, ulong.MaxValue);
                break;
            case Option<double> o when o.CustomParser is null:
                o.CustomParser = r => ParseReal(r, o.Name);
                break;
        }
    }

    /// <summary>The one token of <paramref name="result"/> as <typeparamref name="T"/>, or an error that says what the option takes.</summary>
    private static T Parse<T>(ArgumentResult result, string name, string what, T min, T max)
        where T : struct, IBinaryInteger<T>
    {
        var text = Token(result);
        if (T.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        var range = T.IsZero(min) ? $"{what} from 0 to {max}" : what;
        string hint;
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            hint = real < decimal.CreateSaturating(min) || real > decimal.CreateSaturating(max) ? (T.IsZero(min) ? "; it is out of range" : $"; it is out of range (from {min} to {max})")
                : real != decimal.Truncate(real) ? "; it has a fractional part" : string.Empty;
        }
        else
        {
            hint = string.Empty;
        }

        result.AddError($"{name} takes {range}; got '{text}'{hint}.");
        return default;
    }

    private static double ParseReal(ArgumentResult result, string name)
    {
        var text = Token(result);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }

        result.AddError($"{name} takes a finite number with a '.' decimal point (e.g. 0.001 or 1e-3); got '{text}'.");
        return default;
    }

    private static string Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
}
