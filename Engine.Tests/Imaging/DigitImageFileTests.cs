using System.Buffers.Binary;
using System.IO.Compression;
using DeepGpu.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace DeepGpu.Tests.Imaging;

/// <summary>Bad files, the MNIST round trip, and writing the 28x28 input back out.</summary>
public sealed class DigitImageFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepgpu-imaging-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static DeepGpuException Refused(string path)
    {
        // Unreadable pictures throw PictureException, which says what kind of problem it is.
        var error = Assert.ThrowsAny<DeepGpuException>(() => DigitImage.Load(path));
        Assert.Contains(path, error.Message);
        // One sentence.
        Assert.EndsWith(".", error.Message);
        Assert.DoesNotContain(". ", error.Message.Replace(path, "FILE"));
        return error;
    }

    [Fact]
    public void MissingFile() => Assert.Contains("does not exist", Refused(Path.Combine(_dir, "nope.png")).Message);

    [Fact]
    public void FolderInsteadOfFile() => Assert.Contains("is a folder", Refused(_dir).Message);

    [Fact]
    public void EmptyFile() => Assert.Contains("empty", Refused(WriteFile("empty.png", [])).Message);

    [Fact]
    public void TextFileNamedPng() =>
        Assert.Contains("not an image", Refused(WriteFile("notes.png", "this is not a picture, just some text\n"u8.ToArray())).Message);

    [Fact]
    public void TruncatedPng()
    {
        var canvas = new Canvas(300, 300).Ring(150, 150, 80, 110, 14);
        using var image = canvas.ToImage(Canvas.Black, Canvas.White);
        using var stream = Codec.Encode(image, "png");
        byte[] bytes = stream.ToArray();
        Assert.Contains("truncated or corrupt", Refused(WriteFile("cut.png", bytes[..(bytes.Length / 2)])).Message);
        Assert.Contains("truncated or corrupt", Refused(WriteFile("header-only.png", bytes[..20])).Message);
    }

    [Fact]
    public void AbsurdDeclaredSize_IsRefusedBeforeDecoding()
    {
        string path = WriteFile("five.png", PngHeader(100_000, 100_000));
        var error = Refused(path);
        Assert.Equal($"{path} declares 100000x100000 pixels, more than the 40,000,000-pixel limit.", error.Message);
    }

    [Fact]
    public void BlankFile_FindsNoDigit()
    {
        string path = Path.Combine(_dir, "blank.png");
        using (var image = new Image<Rgba32>(640, 480, Canvas.White)) image.SaveAsPng(path);
        var result = DigitImage.Preprocess(path);
        Assert.False(result.Found);
        Assert.All(result.Pixels, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void MnistDigit_UpscaledAndInverted_ComesBackAsItself()
    {
        float[] original = FirstMnistImage();
        var gray = new byte[280 * 280];
        for (int y = 0; y < 280; y++)
            for (int x = 0; x < 280; x++)
                gray[y * 280 + x] = (byte)(255 - Math.Round(original[y / 10 * 28 + x / 10] * 255));

        string path = Path.Combine(_dir, "mnist0.png");
        using (var image = Image.LoadPixelData<L8>(gray, 280, 280)) image.SaveAsPng(path);

        var result = DigitImage.Preprocess(path);
        Assert.True(result.Found);
        double cosine = DigitCheck.Cosine(original, result.Pixels);
        Assert.True(cosine > 0.9, $"cosine similarity with the original MNIST digit is only {cosine:F3}");
        DigitCheck.AssertMnistForm(result.Pixels);
    }

    [Fact]
    public void ManyMnistDigits_UpscaledAndInverted_ComeBackAlmostUnchanged()
    {
        // MNIST placed digits by whole-pixel shifts of its own centre of mass, so a digit whose centre
        // sits near a half pixel can come back one pixel over; allow that, but nothing more.
        const int count = 100, scale = 10, side = 28 * scale;
        float[][] digits = MnistImages(count);
        var gray = new byte[side * side];
        double sum = 0;
        int close = 0;
        foreach (float[] original in digits)
        {
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                    gray[y * side + x] = (byte)(255 - Math.Round(original[y / scale * 28 + x / scale] * 255));
            var result = DigitImage.PreprocessPixels(gray, side, side);
            Assert.True(result.Found);
            DigitCheck.AssertMnistForm(result.Pixels);
            sum += DigitCheck.Cosine(original, result.Pixels);
            if (BestShiftedCosine(original, result.Pixels) > 0.9) close++;
        }
        Assert.True(sum / count > 0.95, $"mean cosine similarity {sum / count:F3}");
        Assert.True(close >= count * 0.97, $"only {close} of {count} digits match within a one-pixel shift");
    }

    private static double BestShiftedCosine(float[] a, float[] b)
    {
        double best = 0;
        var shifted = new float[784];
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
            {
                Array.Clear(shifted);
                for (int y = Math.Max(0, -dy); y < Math.Min(28, 28 - dy); y++)
                    for (int x = Math.Max(0, -dx); x < Math.Min(28, 28 - dx); x++)
                        shifted[(y + dy) * 28 + x + dx] = b[y * 28 + x];
                best = Math.Max(best, DigitCheck.Cosine(a, shifted));
            }
        return best;
    }

    [Fact]
    public void Save28_WritesThePngTheNetworkSees()
    {
        float[] original = FirstMnistImage();
        string path = Path.Combine(_dir, "input.png");
        DigitImage.Save28(path, original);
        DigitImage.Save28(path, original); // replaces
        Assert.Equal(["input.png"], Directory.GetFiles(_dir).Select(Path.GetFileName));

        using var image = Image.Load<L8>(path);
        Assert.Equal(28, image.Width);
        Assert.Equal(28, image.Height);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                Assert.InRange(image[x, y].PackedValue / 255f - original[y * 28 + x], -0.5f / 255, 0.5f / 255);

        // The saved image, read back, is already in MNIST form and passes through unchanged enough.
        var again = DigitImage.Load(path);
        var cosine = DigitCheck.Cosine(original, again);
        Assert.True(cosine > 0.9, $"cosine {cosine:F3}");

        var error = Assert.Throws<DeepGpuException>(() => DigitImage.Save28(Path.Combine(_dir, "no", "such", "x.png"), original));
        Assert.Contains("does not exist", error.Message);
        Assert.Throws<DeepGpuException>(() => DigitImage.Save28(path, new float[10]));
    }

    internal static float[] FirstMnistImage() => MnistImages(1)[0];

    /// <summary>The first images of the embedded MNIST sample (gzipped IDX: 16-byte header, then 784 bytes each).</summary>
    internal static float[][] MnistImages(int count)
    {
        using var resource = typeof(DigitImage).Assembly.GetManifestResourceStream("DeepGpu.Data.Sample.train-images-idx3-ubyte.gz")
            ?? throw new InvalidOperationException("the MNIST sample is not embedded");
        using var gzip = new GZipStream(resource, CompressionMode.Decompress);
        var bytes = new byte[16 + 784 * count];
        gzip.ReadExactly(bytes);
        Assert.Equal(2051, BinaryPrimitives.ReadInt32BigEndian(bytes));
        return Enumerable.Range(0, count).Select(k => bytes.AsSpan(16 + 784 * k, 784).ToArray().Select(b => b / 255f).ToArray()).ToArray();
    }

    /// <summary>A PNG whose IHDR declares the given size (correct CRCs), with no real pixel data.</summary>
    internal static byte[] PngHeader(int width, int height)
    {
        var png = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // greyscale
        AddChunk(png, "IHDR", ihdr);
        AddChunk(png, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        AddChunk(png, "IEND", []);
        return png.ToArray();
    }

    internal static void AddChunk(List<byte> png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.AddRange(length);
        byte[] typeAndData = [.. type.Select(c => (byte)c), .. data];
        png.AddRange(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.AddRange(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
