using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepGpu.Tests.Data;

/// <summary>Builds small IDX files in memory and on disk, so tests need no real data set.</summary>
internal static class IdxFiles
{
    /// <summary>An IDX image file: header (magic, n, rows, cols), then pixel i of the whole file = (i * 7 + seed) mod 256.</summary>
    public static byte[] Images(int count, int rows = 4, int cols = 3, int seed = 0, int magic = 2051)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (var i = 16; i < bytes.Length; i++) bytes[i] = (byte)((i - 16) * 7 + seed);
        return bytes;
    }

    /// <summary>An IDX label file holding <paramref name="labels"/>.</summary>
    public static byte[] Labels(byte[] labels, int magic = 2049)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    /// <summary>Labels 0, 1, ..., 9, 0, ... shifted by <paramref name="first"/>.</summary>
    public static byte[] LabelValues(int count, int first = 0) =>
        Enumerable.Range(0, count).Select(i => (byte)((i + first) % 10)).ToArray();

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>
    /// Writes a training set of <paramref name="trainCount"/> (first label <paramref name="firstLabel"/>, so sets
    /// can be told apart) and, when <paramref name="testCount"/> is positive, a t10k set, gzipped or raw.
    /// </summary>
    public static void WriteSet(string dir, int trainCount, int testCount = 0, bool gzip = true, int firstLabel = 0)
    {
        Directory.CreateDirectory(dir);
        void Write(string name, byte[] data) =>
            File.WriteAllBytes(Path.Combine(dir, gzip ? name + ".gz" : name), gzip ? Gzip(data) : data);
        Write("train-images-idx3-ubyte", Images(trainCount));
        Write("train-labels-idx1-ubyte", Labels(LabelValues(trainCount, firstLabel)));
        if (testCount > 0)
        {
            Write("t10k-images-idx3-ubyte", Images(testCount, seed: 1));
            Write("t10k-labels-idx1-ubyte", Labels(LabelValues(testCount, firstLabel)));
        }
    }
}
