namespace Acr.Host.Data;

/// <summary>
/// Thrown when input data cannot be used: a missing or empty file, malformed CSV, a value that
/// is not a number, a column reference that does not exist, and similar. The message names the
/// file, the row and the column where relevant, and says how to fix the problem.
/// </summary>
public sealed class AcrDataException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public AcrDataException()
        : base("The input data cannot be used.")
    {
    }

    /// <summary>Creates the exception with the given message.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    public AcrDataException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the given message and cause.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="innerException">The underlying error.</param>
    public AcrDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
