using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CameSharp.Checkpoints;

/// <summary>A tensor entry of a safetensors header: dtype, shape and byte range within the data section.</summary>
internal sealed record SafeTensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Throws <see cref="CheckpointException"/> unless the entry has <paramref name="dtype"/> and <paramref name="shape"/>.</summary>
    public void Expect(string dtype, IEnumerable<long> shape)
    {
        if (DType != dtype) throw new CheckpointException($"tensor '{Name}' has dtype {DType}, expected {dtype}.");
        if (!Shape.SequenceEqual(shape))
            throw new CheckpointException($"tensor '{Name}' has shape [{string.Join(", ", Shape)}], expected [{string.Join(", ", shape)}].");
    }
}

/// <summary>
/// A tensor to write: float32 data, uint8 codes packed four to a float of <paramref name="Floats"/> (when
/// <paramref name="Codes"/>; the file holds one byte an element of <paramref name="Shape"/>), or one int64 scalar (a step count).
/// </summary>
internal readonly record struct SafeTensorsTensor(string Name, int[] Shape, ReadOnlyMemory<float> Floats, long? Scalar, bool Codes = false)
{
    public string DType => Scalar is not null ? "I64" : Codes ? "U8" : "F32";
    public long ByteLength => Scalar is not null ? 8 : Codes ? Shape.Aggregate(1L, (a, b) => a * b) : 4L * Floats.Length;
}

/// <summary>Where a tensor's bytes go when the data section is read.</summary>
internal delegate Span<byte> SafeTensorsDestination(SafeTensorsEntry entry);

/// <summary>
/// The safetensors format (an 8-byte little-endian header length, a JSON header, then the raw little-endian data),
/// with a SHA-256 in the header's metadata under <see cref="ChecksumKey"/>. The digest covers the header (with the
/// digest's own 64 characters read as zeros) and the whole data section, so that any flipped bit is detected.
/// Python's <c>safetensors</c> reads these files as they are.
/// </summary>
internal static class SafeTensorsFile
{
    public const string ChecksumKey = "sha256";
    private const int DigestChars = 64;
    private const long MaxHeaderBytes = 64L << 20;
    private static readonly byte[] Placeholder = Encoding.ASCII.GetBytes(new string('0', DigestChars));

    public static void Write(Stream stream, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafeTensorsTensor> tensors,
        Action<long>? afterTensorWritten = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors files are little-endian.");
        byte[] header = Header(metadata, tensors);
        int digestAt = DigestOffset(header, Placeholder);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long start = stream.Position;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        sha.AppendData(header);
        long written = 0;
        var scalar = new byte[8];
        foreach (var t in tensors)
        {
            ReadOnlySpan<byte> bytes;
            if (t.Scalar is { } value)
            {
                BinaryPrimitives.WriteInt64LittleEndian(scalar, value);
                bytes = scalar;
            }
            else bytes = MemoryMarshal.AsBytes(t.Floats.Span)[..(int)t.ByteLength];
            stream.Write(bytes);
            sha.AppendData(bytes);
            written += bytes.Length;
            afterTensorWritten?.Invoke(written);
        }
        byte[] digest = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(sha.GetHashAndReset()));
        long end = stream.Position;
        stream.Position = start + 8 + digestAt;
        stream.Write(digest);
        stream.Position = end;
    }

    /// <summary>Reads and checks the header; the stream is left at the start of the data section.</summary>
    public static (Dictionary<string, string> Metadata, List<SafeTensorsEntry> Entries, byte[] Header) ReadHeader(Stream stream)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors files are little-endian.");
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, "the header length");
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        long available = stream.CanSeek ? stream.Length - stream.Position : MaxHeaderBytes;
        if (length < 2 || length > (ulong)Math.Min(available, MaxHeaderBytes))
            throw new CheckpointException($"the header length {length} is impossible for a file of {available + 8} bytes.");
        var header = new byte[length];
        ReadExactly(stream, header, "the header");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<SafeTensorsEntry>();
        try
        {
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CheckpointException("the header is not a JSON object.");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String
                            ? m.Value.GetString()!
                            : throw new CheckpointException($"metadata '{m.Name}' is not a string.");
                    continue;
                }
                var e = property.Value;
                var shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offsets = e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || shape.Any(d => d < 0))
                    throw new CheckpointException($"tensor '{property.Name}' has an invalid shape or data_offsets.");
                entries.Add(new SafeTensorsEntry(property.Name, e.GetProperty("dtype").GetString() ?? "", shape, offsets[0], offsets[1]));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new CheckpointException($"the header is not valid safetensors JSON: {e.Message}", e);
        }
        return (metadata, entries, header);
    }

    /// <summary>
    /// Reads the data section into the destinations, in file order, and checks that the tensors tile it exactly, that
    /// nothing follows, and that the checksum matches. Nothing is trusted until this returns.
    /// </summary>
    public static void ReadData(Stream stream, byte[] header, string digest, IReadOnlyList<SafeTensorsEntry> entries, SafeTensorsDestination destination)
    {
        if (digest.Length != DigestChars || !digest.All(char.IsAsciiHexDigitLower))
            throw new CheckpointException($"the checksum '{digest}' is not a SHA-256 in lowercase hex.");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var hashed = (byte[])header.Clone();
        Placeholder.CopyTo(hashed, DigestOffset(hashed, Encoding.ASCII.GetBytes(digest)));
        sha.AppendData(hashed);

        long position = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin))
        {
            if (entry.Begin != position)
                throw new CheckpointException($"tensor '{entry.Name}' starts at byte {entry.Begin} of the data, expected {position}: the data section has gaps or overlaps.");
            Span<byte> target = destination(entry);
            if (target.Length != entry.End - entry.Begin)
                throw new CheckpointException($"tensor '{entry.Name}' holds {entry.End - entry.Begin} bytes, expected {target.Length}.");
            ReadExactly(stream, target, $"tensor '{entry.Name}'");
            sha.AppendData(target);
            position = entry.End;
        }
        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0) throw new CheckpointException("data follows the last tensor.");
        string actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (actual != digest)
            throw new CheckpointException($"the checksum does not match (file says {digest[..12]}..., content hashes to {actual[..12]}...): the file is corrupted.");
    }

    private static byte[] Header(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafeTensorsTensor> tensors)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString(ChecksumKey, Encoding.ASCII.GetString(Placeholder));
            foreach (var (k, v) in metadata) json.WriteString(k, v);
            json.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType);
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += t.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad with spaces so the data section starts 8-byte aligned, as the safetensors writer does.
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    /// <summary>Where the digest's characters stand in the header: right after the first <c>"sha256":"</c>, which the writer puts first.</summary>
    private static int DigestOffset(byte[] header, byte[] digest)
    {
        byte[] key = Encoding.ASCII.GetBytes($"\"{ChecksumKey}\":\"");
        int at = header.AsSpan().IndexOf(key);
        if (at < 0 || !header.AsSpan(at + key.Length).StartsWith(digest))
            throw new CheckpointException("the header has no checksum where one is expected.");
        return at + key.Length;
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new CheckpointException($"the file ends inside {what}: it is truncated.", e);
        }
    }
}
