using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Acr.Host.IO;

namespace Acr.Host.Models;

/// <summary>
/// Writes F32 tensors in the <c>.safetensors</c> format: an 8-byte little-endian header length
/// N, N bytes of UTF-8 JSON (padded with spaces to a multiple of 8), then the raw little-endian
/// tensor data. Files load with the Python <c>safetensors</c> library.
/// </summary>
/// <remarks>
/// Output is deterministic: the same input always gives the same bytes. Tensors are laid out
/// contiguously in the order given, the header lists them in that order, and metadata keys are
/// sorted ordinally. The <c>__metadata__</c> entry is left out when there is no metadata.
/// </remarks>
public static class SafeTensorsWriter
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    /// <summary>Writes a <c>.safetensors</c> file to a stream.</summary>
    /// <param name="stream">The destination; written from its current position and not closed.</param>
    /// <param name="metadata">Free-form string metadata, or <see langword="null"/> for none.</param>
    /// <param name="tensors">The tensors, in file order. Names must be unique, non-empty and not <c>__metadata__</c>; each data length must be the product of its shape.</param>
    /// <exception cref="ArgumentException">A tensor is invalid (see <paramref name="tensors"/>) or the header would exceed 100 MB.</exception>
    public static void Write(
        Stream stream,
        IReadOnlyDictionary<string, string>? metadata,
        IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        byte[] header = BuildHeader(metadata, list);

        Span<byte> prefix = stackalloc byte[SafeTensorsFormat.LengthPrefixBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach ((_, _, ReadOnlyMemory<float> data) in list)
        {
            WriteFloats(stream, data.Span);
        }

        stream.Flush();
    }

    /// <summary>Writes a <c>.safetensors</c> file atomically (see <see cref="AtomicFile"/>).</summary>
    /// <param name="path">The destination file; replaced only once the new file is complete.</param>
    /// <param name="metadata">Free-form string metadata, or <see langword="null"/> for none.</param>
    /// <param name="tensors">The tensors, in file order.</param>
    /// <exception cref="ArgumentException">A tensor is invalid.</exception>
    /// <exception cref="OutputPathException">The destination directory is missing or not writable.</exception>
    public static void Write(
        string path,
        IReadOnlyDictionary<string, string>? metadata,
        IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        _ = BuildHeader(metadata, list); // validate before touching the file system
        AtomicFile.Write(path, s => Write(s, metadata, list));
    }

    private static byte[] BuildHeader(
        IReadOnlyDictionary<string, string>? metadata,
        List<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafeTensorsFormat.MetadataKey);
                foreach (KeyValuePair<string, string> entry in metadata.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    if (entry.Value is null)
                    {
                        throw new ArgumentException($"Metadata value for key '{entry.Key}' is null; safetensors metadata values must be strings.", nameof(metadata));
                    }

                    json.WriteString(entry.Key, entry.Value);
                }

                json.WriteEndObject();
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            foreach ((string name, int[] shape, ReadOnlyMemory<float> data) in tensors)
            {
                if (string.IsNullOrEmpty(name))
                {
                    throw new ArgumentException("A tensor name is null or empty; give every tensor a unique name.", nameof(tensors));
                }

                if (name == SafeTensorsFormat.MetadataKey)
                {
                    throw new ArgumentException($"'{SafeTensorsFormat.MetadataKey}' is reserved for metadata and cannot name a tensor.", nameof(tensors));
                }

                if (!names.Add(name))
                {
                    throw new ArgumentException($"Tensor name '{name}' is used twice; tensor names must be unique.", nameof(tensors));
                }

                ArgumentNullException.ThrowIfNull(shape, nameof(tensors));
                long count = 1;
                foreach (int dim in shape)
                {
                    if (dim < 0)
                    {
                        throw new ArgumentException($"Tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}].", nameof(tensors));
                    }

                    count *= dim;
                }

                if (count != data.Length)
                {
                    throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(", ", shape)}] ({count} elements) but {data.Length} values.", nameof(tensors));
                }

                long end = offset + (count * sizeof(float));
                json.WriteStartObject(name);
                json.WriteString("dtype", SafeTensorsFormat.F32);
                json.WriteStartArray("shape");
                foreach (int dim in shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }

            json.WriteEndObject();
        }

        int padding = (int)((SafeTensorsFormat.LengthPrefixBytes - (buffer.Length % SafeTensorsFormat.LengthPrefixBytes)) % SafeTensorsFormat.LengthPrefixBytes);
        for (int i = 0; i < padding; i++)
        {
            buffer.WriteByte((byte)' ');
        }

        if (buffer.Length > SafeTensorsFormat.MaxHeaderBytes)
        {
            throw new ArgumentException($"The safetensors header would be {buffer.Length} bytes, over the 100 MB limit; use fewer tensors or shorter names and metadata.", nameof(tensors));
        }

        return buffer.ToArray();
    }

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
            return;
        }

        Span<byte> chunk = stackalloc byte[4096];
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, chunk.Length / sizeof(float));
            for (int i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(chunk.Slice(i * sizeof(float)), data[i]);
            }

            stream.Write(chunk[..(n * sizeof(float))]);
            data = data[n..];
        }
    }
}
