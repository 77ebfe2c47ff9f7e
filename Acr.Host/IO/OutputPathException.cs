namespace Acr.Host.IO;

/// <summary>
/// Thrown when an output file cannot be written because of where it is supposed to go:
/// the directory is missing, is not writable, or the path names a directory.
/// The message names the path and says how to fix it.
/// </summary>
public sealed class OutputPathException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public OutputPathException()
        : base("Cannot write the output file.")
    {
    }

    /// <summary>Creates the exception with the given message.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    public OutputPathException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the given message and cause.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="innerException">The underlying error.</param>
    public OutputPathException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
