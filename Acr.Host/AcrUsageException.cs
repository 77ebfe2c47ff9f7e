namespace Acr.Host;

/// <summary>A problem with what the user asked for (arguments, names, data, files): reported as one clear message and exit code 2.</summary>
public sealed class AcrUsageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AcrUsageException()
    {
    }

    /// <summary>Creates the exception with a message that names the problem and the fix.</summary>
    /// <param name="message">The message.</param>
    public AcrUsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public AcrUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
