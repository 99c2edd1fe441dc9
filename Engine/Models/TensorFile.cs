using DeepGpu.IO;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepGpu.Models;

/// <summary>
/// A safetensors-layout file: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and byte offsets (plus a string-to-string "__metadata__" map), then the raw little-endian float32 data.
/// Writes go through <see cref="AtomicFile"/>, so a crash never leaves half a file under the real name.
/// </summary>
internal static class TensorFile
{
    /// <summary>A header longer than this is not ours (and would be a memory bomb).</summary>
    private const long MaxHeaderBytes = 64L << 20;

    public sealed record Tensor(string Name, int[] Shape, float[] Data);

    public static void Write(string path, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<Tensor> tensors)
    {
        var header = new JsonObject();
        long offset = 0;
        var meta = new JsonObject();
        foreach (var (k, v) in metadata) meta[k] = v;
        meta["checksum"] = Checksum(tensors);
        header["__metadata__"] = meta;
        foreach (var t in tensors)
        {
            var bytes = (long)t.Data.Length * sizeof(float);
            header[t.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad with spaces to 8 bytes, as safetensors does, so the data section is aligned.
        var padded = (headerBytes.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(headerBytes);
            for (var i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var t in tensors) stream.Write(LittleEndianBytes(t.Data));
        }, createDirectory: true);
    }

    public static (Dictionary<string, string> Metadata, Dictionary<string, Tensor> Tensors) Read(string path)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path)) throw new DeepGpuException($"Model file {path} does not exist.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new DeepGpuException($"Model file {path} cannot be read: {e.Message}");
        }
        return Parse(bytes, name);
    }

    /// <summary>Reads a file already in memory (an embedded resource); <paramref name="name"/> names it in messages.</summary>
    public static (Dictionary<string, string> Metadata, Dictionary<string, Tensor> Tensors) Parse(byte[] bytes, string name)
    {
        if (bytes.Length < 8) throw new DeepGpuException($"{name} is not a DeepGpu model file: it is only {bytes.Length} bytes long.");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes)
        {
            throw new DeepGpuException($"{name} is not a DeepGpu model file (a picture or another kind of file?).");
        }
        if ((long)headerLength > bytes.Length - 8)
        {
            throw new DeepGpuException($"{name} is not a DeepGpu model file, or is truncated: its header claims {headerLength} bytes but the file holds {bytes.Length - 8}.");
        }
        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength)) as JsonObject ?? throw new JsonException();
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new DeepGpuException($"{name} is not a DeepGpu model file: its header is not valid JSON.");
        }
        var metadata = new Dictionary<string, string>();
        if (header["__metadata__"] is JsonObject meta)
        {
            foreach (var (k, v) in meta) metadata[k] = v?.GetValue<string>() ?? "";
        }
        var dataStart = 8 + (long)headerLength;
        var dataLength = bytes.Length - dataStart;
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (key, node) in header)
        {
            if (key == "__metadata__") continue;
            try
            {
                var dtype = node!["dtype"]!.GetValue<string>();
                if (dtype != "F32") throw new DeepGpuException($"{name}: tensor {key} has dtype {dtype}; DeepGpu reads only F32.");
                var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
                var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var count = shape.Aggregate(1L, (x, y) => x * y);
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] > dataLength || offsets[1] - offsets[0] != count * sizeof(float))
                {
                    throw new DeepGpuException($"{name} is damaged or truncated: tensor {key} lies outside the file's {dataLength} data bytes or does not match its shape.");
                }
                tensors[key] = new Tensor(key, shape, FromLittleEndian(bytes.AsSpan((int)(dataStart + offsets[0]), (int)(count * sizeof(float)))));
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                throw new DeepGpuException($"{name} is damaged: the header entry for tensor {key} is malformed.");
            }
        }
        return (metadata, tensors);
    }

    /// <summary>SHA-256 over the tensors' names and data, in file order.</summary>
    public static string Checksum(IEnumerable<Tensor> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in tensors)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(t.Name));
            sha.AppendData(LittleEndianBytes(t.Data));
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static byte[] LittleEndianBytes(float[] data)
    {
        var bytes = MemoryMarshal.AsBytes(data.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < bytes.Length; i += 4) Array.Reverse(bytes, i, 4);
        }
        return bytes;
    }

    private static float[] FromLittleEndian(ReadOnlySpan<byte> bytes)
    {
        var result = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4, 4));
        return result;
    }
}
