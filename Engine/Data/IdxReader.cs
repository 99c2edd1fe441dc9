using System.Buffers.Binary;
using System.IO.Compression;
using DeepGpu.Tensors;

namespace DeepGpu.Data;

/// <summary>
/// Reads IDX files (MNIST, Fashion-MNIST, KMNIST), gzipped or raw. Gzip is detected by its magic bytes,
/// not by the file name, and every header field is checked against the bytes that follow, so a corrupt
/// or mismatched file fails here with a <see cref="DataException"/> naming it rather than later as a
/// wrong shape or a wrong accuracy.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an IDX file of unsigned-byte images: type 0x08, 3 dimensions.</summary>
    public const int ImagesMagic = 2051;

    /// <summary>Magic number of an IDX file of unsigned-byte labels: type 0x08, 1 dimension.</summary>
    public const int LabelsMagic = 2049;

    /// <summary>Reads an IDX image file (magic 2051).</summary>
    public static IdxImages ReadImages(string path)
    {
        using var file = OpenFile(path);
        return ReadImages(file, path);
    }

    /// <summary>Reads IDX images from a stream (an embedded resource, a download); <paramref name="name"/> is used in messages.</summary>
    public static IdxImages ReadImages(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        return Decode(stream, name, s =>
        {
            var header = ReadHeader(s, name, ImagesMagic, 3);
            int count = header[0], rows = header[1], cols = header[2];
            if (count < 0) throw new DataException($"{name} has a corrupt header: it promises {count} images.");
            if (rows <= 0 || cols <= 0) throw new DataException($"{name} has a corrupt header: its images would be {rows}x{cols}.");
            var what = $"{count} images of {rows}x{cols}";
            var pixels = ReadPayload(s, name, (long)count * rows * cols, what, 16);
            return new IdxImages(pixels, count, rows, cols, name);
        });
    }

    /// <summary>Reads an IDX label file (magic 2049).</summary>
    public static byte[] ReadLabels(string path)
    {
        using var file = OpenFile(path);
        return ReadLabels(file, path);
    }

    /// <summary>Reads IDX labels from a stream; <paramref name="name"/> is used in messages.</summary>
    public static byte[] ReadLabels(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        return Decode(stream, name, s =>
        {
            var count = ReadHeader(s, name, LabelsMagic, 1)[0];
            if (count < 0) throw new DataException($"{name} has a corrupt header: it promises {count} labels.");
            return ReadPayload(s, name, count, $"{count} labels", 8);
        });
    }

    /// <summary>
    /// Reads a pair of image and label files into a <see cref="Dataset"/> of shape [1, rows, cols],
    /// checking that they hold the same number of samples and that every label is below <paramref name="classes"/>.
    /// </summary>
    public static Dataset ReadDataset(string imagesPath, string labelsPath, int classes = 10, string? source = null)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        return Pair(images, labels, labelsPath, classes, source);
    }

    /// <summary>Stream form of <see cref="ReadDataset(string, string, int, string?)"/>; the names are used in messages.</summary>
    public static Dataset ReadDataset(Stream images, string imagesName, Stream labels, string labelsName, int classes = 10, string? source = null)
    {
        var img = ReadImages(images, imagesName);
        var lab = ReadLabels(labels, labelsName);
        return Pair(img, lab, labelsName, classes, source);
    }

    private static Dataset Pair(IdxImages images, byte[] labels, string labelsName, int classes, string? source)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (labels.Length != images.Count)
        {
            throw new DataException($"{labelsName} holds {labels.Length} labels but {images.Name} holds {images.Count} images; they must come from the same set.");
        }
        var bad = Dataset.FirstLabelAtOrAbove(labels, classes);
        if (bad >= 0)
        {
            throw new DataException($"{labelsName} holds label {labels[bad]} at index {bad}, but labels must be below {classes}.");
        }
        return new Dataset(images.Pixels, labels, new Shape(1, images.Rows, images.Columns), classes, source ?? images.Name, copy: false);
    }

    private static FileStream OpenFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataException($"{path} does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path} cannot be opened ({Reason(e)}).", e);
        }
    }

    // Peeks at the first two bytes to choose raw or gzip, then runs the parser on the payload stream.
    private static T Decode<T>(Stream stream, string name, Func<Stream, T> parse)
    {
        try
        {
            var head = new byte[2];
            var got = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false);
            Stream source = new PrefixStream(head.AsMemory(0, got), stream);
            if (got == 2 && head[0] == 0x1f && head[1] == 0x8b)
            {
                using var gzip = new GZipStream(source, CompressionMode.Decompress, leaveOpen: true);
                return parse(gzip);
            }
            return parse(source);
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"{name} is not a valid gzip file ({Reason(e)}).", e);
        }
        catch (IOException e)
        {
            throw new DataException($"{name} cannot be read ({Reason(e)}).", e);
        }
    }

    private static int[] ReadHeader(Stream s, string name, int magic, int dims)
    {
        var size = 4 * (1 + dims);
        var header = new byte[size];
        var got = s.ReadAtLeast(header, size, throwOnEndOfStream: false);
        if (got >= 4)
        {
            var found = BinaryPrimitives.ReadInt32BigEndian(header);
            if (found != magic)
            {
                var hint = found switch
                {
                    ImagesMagic => " (that of an image file)",
                    LabelsMagic => " (that of a label file)",
                    _ => "",
                };
                var kind = magic == ImagesMagic ? "image" : "label";
                throw new DataException($"{name} is not an IDX {kind} file: its magic number is {found}{hint}, expected {magic}.");
            }
        }
        if (got < size) throw new DataException($"{name} is truncated: it ends after {got} bytes, inside the {size}-byte IDX header.");
        var values = new int[dims];
        for (var i = 0; i < dims; i++) values[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * (i + 1)));
        return values;
    }

    // Reads exactly `expected` bytes, then proves nothing follows. Grows the buffer as bytes arrive so a
    // corrupt header cannot make us allocate gigabytes up front.
    private static byte[] ReadPayload(Stream s, string name, long expected, string what, int headerSize)
    {
        if (expected > Array.MaxLength)
        {
            throw new DataException($"{name} has a corrupt header: {what} ({expected} bytes) is more than one array can hold.");
        }
        var buffer = new byte[Math.Min(expected, 1 << 22)];
        var filled = 0;
        while (filled < expected)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(expected, 2L * buffer.Length));
            var n = s.Read(buffer, filled, buffer.Length - filled);
            if (n == 0) break;
            filled += n;
        }
        if (filled < expected)
        {
            throw new DataException($"{name} is truncated: the header promises {what} ({expected} bytes) but the file holds {filled} after the {headerSize}-byte header.");
        }
        long trailing = 0;
        var scratch = new byte[1 << 16];
        int read;
        while ((read = s.Read(scratch, 0, scratch.Length)) > 0) trailing += read;
        if (trailing > 0)
        {
            throw new DataException($"{name} has {trailing} trailing byte{(trailing == 1 ? "" : "s")} after the {expected} that the header promises for {what}.");
        }
        return buffer;
    }

    private static string Reason(Exception e) => e.Message.Trim().TrimEnd('.');

    // A read-only stream that replays bytes already read (the peeked gzip magic) before the rest.
    private sealed class PrefixStream(ReadOnlyMemory<byte> prefix, Stream inner) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.IsEmpty) return inner.Read(buffer);
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
