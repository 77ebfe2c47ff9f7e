namespace Acr.Host.Data;

/// <summary>The text encoding of a CSV file.</summary>
public enum CsvTextEncoding
{
    /// <summary>UTF-8 (ASCII included; a byte order mark is allowed); an invalid byte sequence is refused, never replaced.</summary>
    Utf8,

    /// <summary>ISO-8859-1: every byte is the character of that code point, so any file decodes.</summary>
    Latin1,
}
