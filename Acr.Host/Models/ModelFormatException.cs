namespace Acr.Host.Models;

/// <summary>
/// Thrown when a model file is missing, is not a valid <c>.safetensors</c> file, or does not hold
/// what the reader expects. The message names the file, what is wrong with it, and what to do.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public ModelFormatException()
        : base("The model file is not valid.")
    {
    }

    /// <summary>Creates the exception with the given message.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    public ModelFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the given message and cause.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="innerException">The underlying error.</param>
    public ModelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
