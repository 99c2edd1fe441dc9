using System.Buffers.Binary;
using DeepGpu.Data;
using DeepGpu.Tensors;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes)
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static DataException Fails(string path, Action read)
    {
        var e = Assert.Throws<DataException>(read);
        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.IsAssignableFrom<DeepGpuException>(e);
        return e;
    }

    [Theory]
    [InlineData(false, "images")]
    [InlineData(true, "images.gz")]
    [InlineData(true, "images-no-extension")] // gzip is found by its magic bytes, not the name
    [InlineData(false, "raw-but-named.gz")]
    public void Reads_images_raw_or_gzipped(bool gzip, string name)
    {
        var raw = IdxFiles.Images(5, rows: 4, cols: 3);
        var path = Write(name, gzip ? IdxFiles.Gzip(raw) : raw);

        var images = IdxReader.ReadImages(path);

        Assert.Equal((5, 4, 3), (images.Count, images.Rows, images.Columns));
        Assert.Equal(raw[16..], images.Pixels);
        Assert.Equal(path, images.Name);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_labels_raw_or_gzipped(bool gzip)
    {
        var raw = IdxFiles.Labels([5, 0, 4, 1, 9]);
        var path = Write("labels", gzip ? IdxFiles.Gzip(raw) : raw);

        Assert.Equal(new byte[] { 5, 0, 4, 1, 9 }, IdxReader.ReadLabels(path));
    }

    [Fact]
    public void Reads_a_dataset_from_a_pair_of_files()
    {
        var images = Write("i.gz", IdxFiles.Gzip(IdxFiles.Images(6, 28, 28)));
        var labels = Write("l", IdxFiles.Labels(IdxFiles.LabelValues(6, 3)));

        var set = IdxReader.ReadDataset(images, labels);

        Assert.Equal(6, set.Count);
        Assert.Equal(new Shape(1, 28, 28), set.SampleShape);
        Assert.Equal(new byte[] { 3, 4, 5, 6, 7, 8 }, set.Labels);
        Assert.Equal(images, set.Source);
    }

    [Fact]
    public void Reads_from_a_non_seekable_stream_with_a_display_name()
    {
        using var stream = new ForwardOnlyStream(IdxFiles.Gzip(IdxFiles.Images(2)));
        var images = IdxReader.ReadImages(stream, "resource:images");
        Assert.Equal(2, images.Count);
        Assert.Equal("resource:images", images.Name);

        using var bad = new ForwardOnlyStream(IdxFiles.Labels([1, 2])[..9]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadLabels(bad, "resource:labels"));
        Assert.StartsWith("resource:labels is truncated", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bad_magic_names_the_file(bool gzip)
    {
        var raw = IdxFiles.Images(2, magic: 1234);
        var path = Write("bad-magic", gzip ? IdxFiles.Gzip(raw) : raw);

        var e = Fails(path, () => IdxReader.ReadImages(path));
        Assert.Contains("magic number is 1234", e.Message);
        Assert.Contains("2051", e.Message);
    }

    [Fact]
    public void Labels_file_given_as_images_says_so()
    {
        var path = Write("train-labels-idx1-ubyte", IdxFiles.Labels([1, 2, 3]));
        var e = Fails(path, () => IdxReader.ReadImages(path));
        Assert.Contains("label file", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Count_larger_than_the_payload_is_truncation(bool gzip)
    {
        var raw = IdxFiles.Images(5, 4, 3);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4), 6); // header says 6, payload holds 5
        var path = Write("wrong-count.gz", gzip ? IdxFiles.Gzip(raw) : raw);

        var e = Fails(path, () => IdxReader.ReadImages(path));
        Assert.Equal($"{path} is truncated: the header promises 6 images of 4x3 (72 bytes) but the file holds 60 after the 16-byte header.", e.Message);
    }

    [Fact]
    public void Count_smaller_than_the_payload_is_trailing_bytes()
    {
        var raw = IdxFiles.Labels([1, 2, 3, 4]);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4), 3);
        var path = Write("labels-wrong-count", raw);

        var e = Fails(path, () => IdxReader.ReadLabels(path));
        Assert.Contains("1 trailing byte after", e.Message);
    }

    [Theory]
    [InlineData(-1, 4, 3)]
    [InlineData(2, 0, 3)]
    [InlineData(2, 4, -3)]
    public void Impossible_dimensions_name_the_file(int count, int rows, int cols)
    {
        var raw = IdxFiles.Images(0, 1, 1);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(12), cols);
        var path = Write("bad-dims", raw);

        var e = Fails(path, () => IdxReader.ReadImages(path));
        Assert.Contains("corrupt header", e.Message);
    }

    [Fact]
    public void Huge_header_fails_without_allocating()
    {
        var raw = IdxFiles.Images(0, 1, 1);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4), int.MaxValue);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(12), 28);
        var path = Write("huge", raw);

        Fails(path, () => IdxReader.ReadImages(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_payload_names_the_file(bool gzip)
    {
        var raw = IdxFiles.Images(10, 28, 28)[..1250];
        var path = Write("train-images-idx3-ubyte.gz", gzip ? IdxFiles.Gzip(raw) : raw);

        var e = Fails(path, () => IdxReader.ReadImages(path));
        Assert.Equal($"{path} is truncated: the header promises 10 images of 28x28 (7840 bytes) but the file holds 1234 after the 16-byte header.", e.Message);
    }

    [Fact]
    public void Gzip_cut_short_is_reported_as_truncated_or_corrupt()
    {
        var gz = IdxFiles.Gzip(IdxFiles.Images(50, 28, 28));
        var path = Write("cut.gz", gz[..(gz.Length / 2)]);

        var e = Fails(path, () => IdxReader.ReadImages(path));
        Assert.True(e.Message.Contains("truncated") || e.Message.Contains("gzip"), e.Message);
    }

    [Fact]
    public void Corrupt_gzip_names_the_file()
    {
        var gz = IdxFiles.Gzip(IdxFiles.Images(50, 28, 28));
        for (var i = 10; i < gz.Length - 8; i++) gz[i] ^= 0x5a;
        var path = Write("corrupt.gz", gz);

        Fails(path, () => IdxReader.ReadImages(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(15)]
    public void Truncated_header_names_the_file(int length)
    {
        var path = Write("short-header", IdxFiles.Images(1)[..length]);
        var e = Fails(path, () => IdxReader.ReadImages(path));
        Assert.Contains("header", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Trailing_bytes_name_the_file(bool gzip)
    {
        var raw = IdxFiles.Images(3).Concat(new byte[] { 1, 2, 3, 4, 5 }).ToArray();
        var path = Write("trailing", gzip ? IdxFiles.Gzip(raw) : raw);

        var e = Fails(path, () => IdxReader.ReadImages(path));
        Assert.Contains("5 trailing bytes", e.Message);
    }

    [Fact]
    public void Label_of_ten_or_more_names_the_label_file()
    {
        var images = Write("images", IdxFiles.Images(4));
        var labels = Write("labels.gz", IdxFiles.Gzip(IdxFiles.Labels([1, 2, 10, 3])));

        var e = Fails(labels, () => IdxReader.ReadDataset(images, labels));
        Assert.Contains("label 10 at index 2", e.Message);
    }

    [Fact]
    public void Count_mismatch_between_the_files_names_both()
    {
        var images = Write("imgs", IdxFiles.Images(4));
        var labels = Write("labs", IdxFiles.Labels([1, 2, 3]));

        var e = Fails(labels, () => IdxReader.ReadDataset(images, labels));
        Assert.Contains(images, e.Message);
        Assert.Contains("3 labels", e.Message);
        Assert.Contains("4 images", e.Message);
    }

    [Fact]
    public void Missing_file_names_it()
    {
        var path = _dir.File("nowhere.gz");
        var e = Fails(path, () => IdxReader.ReadImages(path));
        Assert.Equal($"{path} does not exist.", e.Message);
    }

    private sealed class ForwardOnlyStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}
