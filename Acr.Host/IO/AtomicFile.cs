using System.Security.Cryptography;
using System.Text;

namespace Acr.Host.IO;

/// <summary>
/// Writes files atomically: the content goes to a temporary file in the target's directory
/// (named <c>.&lt;name&gt;.&lt;random&gt;.tmp</c>), is flushed to disk, and then renamed over the
/// target. Readers therefore see either the old file or the complete new one, never a partial
/// write. If anything fails, the temporary file is deleted and the previous target is left as it was.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Atomically replaces (or creates) <paramref name="path"/> with the bytes written by
    /// <paramref name="write"/>.
    /// </summary>
    /// <param name="path">The target file.</param>
    /// <param name="write">Writes the content to the stream it is given. It must not close the stream.</param>
    /// <exception cref="OutputPathException">The directory does not exist, is not writable, or the path is a directory.</exception>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);

        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        string directory = Path.GetDirectoryName(fullPath) ?? Path.GetPathRoot(fullPath) ?? ".";
        if (fileName.Length == 0)
        {
            throw new OutputPathException($"Cannot write output '{path}': the path names a directory, not a file (add a file name)");
        }

        if (!Directory.Exists(directory))
        {
            throw new OutputPathException(
                File.Exists(directory)
                    ? $"Cannot write output '{path}': '{directory}' is a file, not a directory (choose another --out)"
                    : $"Cannot write output '{path}': directory '{directory}' does not exist (create it or choose another --out)");
        }

        if (Directory.Exists(fullPath))
        {
            throw new OutputPathException($"Cannot write output '{path}': it is an existing directory (choose a file name, e.g. '{Path.Combine(path, "out")}')");
        }

        string tempPath = Path.Combine(directory, $".{fileName}.{RandomNumberGenerator.GetHexString(12, lowercase: true)}.tmp");
        bool committed = false;
        try
        {
            FileStream stream;
            try
            {
                stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new OutputPathException(
                    $"Cannot write output '{path}': directory '{directory}' is not writable (fix its permissions or choose another --out)", ex);
            }
            catch (IOException ex)
            {
                throw new OutputPathException(
                    $"Cannot write output '{path}': a file cannot be created in directory '{directory}' ({ex.Message}); choose another --out", ex);
            }

            using (stream)
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(tempPath, fullPath, overwrite: true);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new OutputPathException(
                    $"Cannot write output '{path}': the existing file cannot be replaced (it is read-only or locked; fix its permissions or choose another --out)", ex);
            }

            committed = true;
        }
        finally
        {
            if (!committed)
            {
                TryDelete(tempPath);
            }
        }
    }

    /// <summary>Atomically replaces (or creates) <paramref name="path"/> with UTF-8 text (no byte order mark).</summary>
    /// <param name="path">The target file.</param>
    /// <param name="contents">The text to write.</param>
    /// <exception cref="OutputPathException">The directory does not exist, is not writable, or the path is a directory.</exception>
    public static void WriteAllText(string path, string contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        byte[] bytes = Utf8NoBom.GetBytes(contents);
        Write(path, s => s.Write(bytes));
    }

    /// <summary>Atomically replaces (or creates) <paramref name="path"/> with the given bytes.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="bytes">The content.</param>
    /// <exception cref="OutputPathException">The directory does not exist, is not writable, or the path is a directory.</exception>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes)
        => Write(path, s => s.Write(bytes.Span));

    private static void TryDelete(string tempPath)
    {
        try
        {
            File.Delete(tempPath);
        }
        catch (IOException)
        {
            // Best effort: the original error is more useful than a cleanup failure.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}
