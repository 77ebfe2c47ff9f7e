using System.Runtime.CompilerServices;

namespace Acr;

/// <summary>Argument null checks for several arguments at once (each throws <see cref="ArgumentNullException"/> naming the argument).</summary>
internal static class Guard
{
    public static void NotNull([ValidatedNotNull] object? a, [ValidatedNotNull] object? b,
        [CallerArgumentExpression(nameof(a))] string? aName = null, [CallerArgumentExpression(nameof(b))] string? bName = null)
    {
        ArgumentNullException.ThrowIfNull(a, aName);
        ArgumentNullException.ThrowIfNull(b, bName);
    }

    public static void NotNull([ValidatedNotNull] object? a, [ValidatedNotNull] object? b, [ValidatedNotNull] object? c,
        [CallerArgumentExpression(nameof(a))] string? aName = null, [CallerArgumentExpression(nameof(b))] string? bName = null,
        [CallerArgumentExpression(nameof(c))] string? cName = null)
    {
        NotNull(a, b, aName, bName);
        ArgumentNullException.ThrowIfNull(c, cName);
    }

    public static void NotNull([ValidatedNotNull] object? a, [ValidatedNotNull] object? b, [ValidatedNotNull] object? c, [ValidatedNotNull] object? d,
        [CallerArgumentExpression(nameof(a))] string? aName = null, [CallerArgumentExpression(nameof(b))] string? bName = null,
        [CallerArgumentExpression(nameof(c))] string? cName = null, [CallerArgumentExpression(nameof(d))] string? dName = null)
    {
        NotNull(a, b, c, aName, bName, cName);
        ArgumentNullException.ThrowIfNull(d, dName);
    }

    public static void NotNull([ValidatedNotNull] object? a, [ValidatedNotNull] object? b, [ValidatedNotNull] object? c, [ValidatedNotNull] object? d,
        [ValidatedNotNull] object? e, [CallerArgumentExpression(nameof(a))] string? aName = null, [CallerArgumentExpression(nameof(b))] string? bName = null,
        [CallerArgumentExpression(nameof(c))] string? cName = null, [CallerArgumentExpression(nameof(d))] string? dName = null,
        [CallerArgumentExpression(nameof(e))] string? eName = null)
    {
        NotNull(a, b, c, d, aName, bName, cName, dName);
        ArgumentNullException.ThrowIfNull(e, eName);
    }

    /// <summary>Tells the analyzers (CA1062) that the argument is checked for null.</summary>
    [AttributeUsage(AttributeTargets.Parameter)]
    private sealed class ValidatedNotNullAttribute : Attribute;
}
