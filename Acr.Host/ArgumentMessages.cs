using System.Text.RegularExpressions;

namespace Acr.Host;

/// <summary>
/// The words of an <see cref="ArgumentException"/> a plugin or library threw, fit to show a user: .NET appends
/// "(Parameter 'name')" (and, for an out-of-range value, "Actual value was …") to the message, which names a C#
/// parameter the user never wrote.
/// </summary>
internal static partial class ArgumentMessages
{
    /// <summary>The message without the parameter-name and actual-value suffixes .NET adds.</summary>
    /// <param name="exception">The exception.</param>
    public static string UserMessage(this ArgumentException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var message = exception.Message;
        return exception.ParamName is null ? message.Trim() : Suffix().Replace(message, string.Empty).Trim();
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)(\s*Actual value was .*)?$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Suffix();
}
