using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Acr.Host.Models;

/// <summary>
/// The contents of a <c>.safetensors</c> file holding F32 tensors: its string metadata and its
/// tensors, in the order of their data in the file.
/// </summary>
/// <remarks>
/// Reading validates the file strictly and throws <see cref="ModelFormatException"/> for anything
/// the reference implementation would reject, and for dtypes other than F32: a file shorter than
/// 8 bytes, a header longer than the file or than 100 MB, a header that is not UTF-8 JSON, a
/// tensor entry without a valid dtype, shape or data_offsets, a byte range that does not match
/// its shape, ranges that overlap, leave gaps or start past 0, a data section longer or shorter
/// than the ranges, duplicate names and non-string metadata values.
/// </remarks>
public sealed class SafeTensorsFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Dictionary<string, SafeTensor> _byName;

    /// <summary>Creates the in-memory form of a file.</summary>
    /// <param name="metadata">The string metadata.</param>
    /// <param name="tensors">The tensors; names must be unique.</param>
    /// <exception cref="ArgumentException">Two tensors have the same name.</exception>
    public SafeTensorsFile(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafeTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(tensors);
        Metadata = metadata;
        Tensors = tensors;
        _byName = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (SafeTensor tensor in tensors)
        {
            if (!_byName.TryAdd(tensor.Name, tensor))
            {
                throw new ArgumentException($"Tensor name '{tensor.Name}' is used twice.", nameof(tensors));
            }
        }
    }

    /// <summary>The <c>__metadata__</c> map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, in the order of their data in the file.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The tensor with the given name.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="KeyNotFoundException">There is no such tensor.</exception>
    public SafeTensor this[string name]
        => _byName.TryGetValue(name, out SafeTensor? tensor)
            ? tensor
            : throw new KeyNotFoundException($"There is no tensor named '{name}'; the file has: {string.Join(", ", Tensors.Select(t => t.Name))}.");

    /// <summary>Looks a tensor up by name.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="tensor">The tensor, when found.</param>
    /// <returns>Whether the tensor exists.</returns>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafeTensor? tensor)
        => _byName.TryGetValue(name, out tensor);

    /// <summary>Reads and validates a <c>.safetensors</c> file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The metadata and tensors.</returns>
    /// <exception cref="ModelFormatException">The file is missing, unreadable or not a valid F32 safetensors file.</exception>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new ModelFormatException(
                Directory.Exists(path)
                    ? $"Model path '{path}' is a directory; pass the .safetensors file inside it"
                    : $"Model file '{path}' not found (working directory: '{Environment.CurrentDirectory}'); check the path");
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
            return Read(stream, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"Model file '{path}' cannot be read: {ex.Message} (check that it exists and is readable)", ex);
        }
    }

    /// <summary>Reads and validates a <c>.safetensors</c> file from a stream.</summary>
    /// <param name="stream">The data, from its current position to its end; not closed.</param>
    /// <param name="sourceName">The file or resource name used in messages.</param>
    /// <returns>The metadata and tensors.</returns>
    /// <exception cref="ModelFormatException">The data is not a valid F32 safetensors file.</exception>
    public static SafeTensorsFile Read(Stream stream, string sourceName = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanSeek)
        {
            // Learn the real length before trusting any size in the header.
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            return Read(copy, sourceName);
        }

        return new Reader(stream, sourceName).Read();
    }

    private readonly struct Entry(string name, string dtype, int[] shape, ulong begin, ulong end, int order)
    {
        public string Name { get; } = name;

        public string Dtype { get; } = dtype;

        public int[] Shape { get; } = shape;

        public ulong Begin { get; } = begin;

        public ulong End { get; } = end;

        public int Order { get; } = order;
    }

    private sealed class Reader(Stream stream, string source)
    {
        private ModelFormatException Invalid(string problem, Exception? inner = null)
        {
            string message = $"'{source}' is not a valid .safetensors file: {problem}";
            return inner is null ? new ModelFormatException(message) : new ModelFormatException(message, inner);
        }

        public SafeTensorsFile Read()
        {
            ulong available = (ulong)Math.Max(0, stream.Length - stream.Position);
            Span<byte> prefix = stackalloc byte[SafeTensorsFormat.LengthPrefixBytes];
            if (available < SafeTensorsFormat.LengthPrefixBytes)
            {
                throw Invalid($"the file is {SafeTensorsFormat.FormatBytes(available)}, shorter than the 8-byte header length that starts every safetensors file (truncated, or not a safetensors file)");
            }

            stream.ReadExactly(prefix);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            ulong afterPrefix = available - SafeTensorsFormat.LengthPrefixBytes;
            if (headerLength > afterPrefix)
            {
                throw Invalid($"header length {SafeTensorsFormat.FormatBytes(headerLength)} exceeds file size {SafeTensorsFormat.FormatBytes(available)} (truncated or corrupted)");
            }

            if (headerLength > SafeTensorsFormat.MaxHeaderBytes)
            {
                throw Invalid($"header length {SafeTensorsFormat.FormatBytes(headerLength)} exceeds the 100 MB limit (corrupted, or not a safetensors file)");
            }

            if (headerLength < 2)
            {
                throw Invalid($"the header is {SafeTensorsFormat.FormatBytes(headerLength)} long, too short to hold a JSON object (corrupted)");
            }

            byte[] headerBytes = new byte[headerLength];
            stream.ReadExactly(headerBytes);
            (Dictionary<string, string> metadata, List<Entry> entries) = ParseHeader(headerBytes);

            entries.Sort((a, b) =>
            {
                int c = a.Begin.CompareTo(b.Begin);
                if (c == 0)
                {
                    c = a.End.CompareTo(b.End);
                }

                return c != 0 ? c : a.Order.CompareTo(b.Order);
            });

            ulong expected = 0;
            foreach (Entry entry in entries)
            {
                if (entry.Begin < expected)
                {
                    throw Invalid($"the data of tensor '{entry.Name}' (bytes {entry.Begin}..{entry.End}) overlaps the tensor before it, which ends at byte {expected} (corrupted)");
                }

                if (entry.Begin > expected)
                {
                    throw Invalid($"there is a gap in the data before tensor '{entry.Name}': it starts at byte {entry.Begin} but the previous data ends at byte {expected} (corrupted)");
                }

                expected = entry.End;
            }

            ulong dataLength = afterPrefix - headerLength;
            if (dataLength < expected)
            {
                throw Invalid($"the data section is {SafeTensorsFormat.FormatBytes(dataLength)} but the header describes {SafeTensorsFormat.FormatBytes(expected)} of tensor data (truncated)");
            }

            if (dataLength > expected)
            {
                throw Invalid($"the data section is {SafeTensorsFormat.FormatBytes(dataLength)} but the header describes only {SafeTensorsFormat.FormatBytes(expected)} of tensor data ({dataLength - expected} unexpected trailing bytes; corrupted)");
            }

            var tensors = new List<SafeTensor>(entries.Count);
            foreach (Entry entry in entries)
            {
                float[] data = new float[(entry.End - entry.Begin) / sizeof(float)];
                stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
                if (!BitConverter.IsLittleEndian)
                {
                    Span<int> bits = MemoryMarshal.Cast<float, int>(data.AsSpan());
                    BinaryPrimitives.ReverseEndianness(bits, bits);
                }

                tensors.Add(new SafeTensor(entry.Name, entry.Shape, data));
            }

            return new SafeTensorsFile(metadata, tensors);
        }

        private (Dictionary<string, string> Metadata, List<Entry> Entries) ParseHeader(byte[] headerBytes)
        {
            try
            {
                _ = StrictUtf8.GetCharCount(headerBytes);
            }
            catch (DecoderFallbackException ex)
            {
                throw Invalid("the header is not valid UTF-8 (corrupted)", ex);
            }

            if (headerBytes[0] != (byte)'{')
            {
                throw Invalid($"the header must start with '{{' but starts with byte 0x{headerBytes[0]:X2} (corrupted, or not a safetensors file)");
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            }
            catch (JsonException ex)
            {
                throw Invalid($"the header is not valid JSON ({ex.Message}) (corrupted)", ex);
            }

            using (document)
            {
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid($"the header must be a JSON object but is {Kind(root)} (corrupted)");
                }

                var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                var entries = new List<Entry>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                bool sawMetadata = false;
                foreach (JsonProperty property in root.EnumerateObject())
                {
                    if (property.Name == SafeTensorsFormat.MetadataKey)
                    {
                        if (sawMetadata)
                        {
                            throw Invalid($"the header has more than one '{SafeTensorsFormat.MetadataKey}' entry (corrupted)");
                        }

                        sawMetadata = true;
                        ReadMetadata(property.Value, metadata);
                        continue;
                    }

                    if (!seen.Add(property.Name))
                    {
                        throw Invalid($"tensor name '{property.Name}' appears more than once in the header (corrupted)");
                    }

                    entries.Add(ReadEntry(property.Name, property.Value, entries.Count));
                }

                return (metadata, entries);
            }
        }

        private void ReadMetadata(JsonElement value, Dictionary<string, string> metadata)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return;
            }

            if (value.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"'{SafeTensorsFormat.MetadataKey}' must be an object of strings but is {Kind(value)}");
            }

            foreach (JsonProperty item in value.EnumerateObject())
            {
                if (item.Value.ValueKind != JsonValueKind.String)
                {
                    throw Invalid($"metadata value for key '{item.Name}' is {Kind(item.Value)}; safetensors metadata values must be strings");
                }

                if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                {
                    throw Invalid($"metadata key '{item.Name}' appears more than once");
                }
            }
        }

        private Entry ReadEntry(string name, JsonElement value, int order)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"the header entry of tensor '{name}' must be an object with dtype, shape and data_offsets but is {Kind(value)}");
            }

            JsonElement dtypeElement = Required(value, name, "dtype");
            if (dtypeElement.ValueKind != JsonValueKind.String)
            {
                throw Invalid($"tensor '{name}' has a dtype that is {Kind(dtypeElement)}, not a string");
            }

            string dtype = dtypeElement.GetString()!;
            if (dtype != SafeTensorsFormat.F32)
            {
                throw new ModelFormatException(
                    $"'{source}': tensor '{name}' has dtype {dtype}, but only F32 (float32) tensors are supported; convert the tensors to float32 and save the file again");
            }

            JsonElement shapeElement = Required(value, name, "shape");
            if (shapeElement.ValueKind != JsonValueKind.Array)
            {
                throw Invalid($"tensor '{name}' has a shape that is {Kind(shapeElement)}, not an array of dimensions");
            }

            int[] shape = new int[shapeElement.GetArrayLength()];
            ulong elements = 1;
            int d = 0;
            foreach (JsonElement dim in shapeElement.EnumerateArray())
            {
                if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out int size) || size < 0)
                {
                    throw Invalid($"tensor '{name}' has an invalid dimension {dim.GetRawText()} in its shape (dimensions are non-negative integers below 2^31)");
                }

                shape[d++] = size;
                elements = size == 0 || elements == 0 ? 0 : elements > (ulong)Array.MaxLength / (ulong)size ? ulong.MaxValue : elements * (ulong)size;
            }

            if (elements > (ulong)Array.MaxLength)
            {
                throw Invalid($"tensor '{name}' has shape [{string.Join(", ", shape)}], more elements than one array can hold");
            }

            JsonElement offsetsElement = Required(value, name, "data_offsets");
            if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            {
                throw Invalid($"tensor '{name}' has data_offsets {offsetsElement.GetRawText()}; expected [begin, end]");
            }

            ulong begin = Offset(offsetsElement[0], name);
            ulong end = Offset(offsetsElement[1], name);
            if (end < begin)
            {
                throw Invalid($"tensor '{name}' has data_offsets [{begin}, {end}] with end before begin (corrupted)");
            }

            ulong expectedBytes = elements * sizeof(float);
            if (end - begin != expectedBytes)
            {
                throw Invalid(
                    $"tensor '{name}' has shape [{string.Join(", ", shape)}], which needs {expectedBytes.ToString(CultureInfo.InvariantCulture)} bytes of F32 data, but data_offsets [{begin}, {end}] span {end - begin} bytes (corrupted)");
            }

            return new Entry(name, dtype, shape, begin, end, order);
        }

        private JsonElement Required(JsonElement entry, string name, string field)
            => entry.TryGetProperty(field, out JsonElement value)
                ? value
                : throw Invalid($"the header entry of tensor '{name}' has no '{field}'");

        private ulong Offset(JsonElement element, string name)
            => element.ValueKind == JsonValueKind.Number && element.TryGetUInt64(out ulong offset)
                ? offset
                : throw Invalid($"tensor '{name}' has an invalid data offset {element.GetRawText()} (offsets are non-negative integers)");

        private static string Kind(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            JsonValueKind.Null => "null",
            _ => "undefined",
        };
    }
}
