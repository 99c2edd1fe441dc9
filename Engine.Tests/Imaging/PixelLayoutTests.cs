using DeepGpu.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace DeepGpu.Tests.Imaging;

/// <summary>
/// Opaque RGB and grey PNGs are decoded as they are stored rather than widened to RGBA; every stored layout
/// must read exactly as the RGBA picture it stands for, down to the last bit of each of the 784 values.
/// </summary>
public sealed class PixelLayoutTests
{
    // A soft-edged "4" of uneven, coloured ink on slightly uneven paper: many different luminances.
    private static Image<Rgba32> Picture(bool grey)
    {
        var canvas = new Canvas(180, 150).Line(60, 20, 40, 95, 9).Line(40, 95, 130, 95, 9).Line(105, 30, 100, 140, 11);
        var image = new Image<Rgba32>(canvas.Width, canvas.Height);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgba32> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    int near = 0;
                    for (int dy = -2; dy <= 2; dy++)
                        for (int dx = -2; dx <= 2; dx++)
                            if ((uint)(x + dx) < (uint)canvas.Width && (uint)(y + dy) < (uint)canvas.Height && canvas.Ink[(y + dy) * canvas.Width + x + dx]) near++;
                    byte paper = (byte)(228 + (x * 7 + y * 13) % 27);
                    var (r, g, b) = ((byte)(paper - near * 8), (byte)(paper - near * 9), (byte)(paper - near * 5));
                    row[x] = grey ? new Rgba32(g, g, g) : new Rgba32(r, g, b);
                }
            }
        });
        return image;
    }

    private static PreprocessResult Read(Image image, PngColorType colorType)
    {
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder { ColorType = colorType, BitDepth = PngBitDepth.Bit8 });
        stream.Position = 0;
        return DigitImage.Preprocess(stream, "digit.png");
    }

    private static void AssertSame(PreprocessResult expected, PreprocessResult actual)
    {
        Assert.True(expected.Found, "the test picture holds no digit");
        Assert.Equal(expected.BoundingBox, actual.BoundingBox);
        Assert.Equal(expected.DarkInk, actual.DarkInk);
        var differ = Enumerable.Range(0, DigitImage.PixelCount).Where(i => expected.Pixels[i] != actual.Pixels[i]).ToList();
        Assert.True(differ.Count == 0, $"{differ.Count} values differ, e.g. value {differ.FirstOrDefault()}: {actual.Pixels[differ.FirstOrDefault()]:R} instead of {expected.Pixels[differ.FirstOrDefault()]:R}");
    }

    [Fact]
    public void An_opaque_RGB_PNG_reads_as_its_RGBA_twin()
    {
        using var image = Picture(grey: false);
        AssertSame(Read(image, PngColorType.RgbWithAlpha), Read(image, PngColorType.Rgb));
    }

    [Fact]
    public void A_grey_PNG_reads_as_its_RGBA_twin()
    {
        using var image = Picture(grey: true);
        AssertSame(Read(image, PngColorType.RgbWithAlpha), Read(image, PngColorType.Grayscale));
    }

    [Fact]
    public void RGBA_bytes_read_as_the_RGBA_PNG()
    {
        using var image = Picture(grey: false);
        var bytes = new byte[image.Width * image.Height * 4];
        image.CopyPixelDataTo(bytes);
        AssertSame(Read(image, PngColorType.RgbWithAlpha), DigitImage.PreprocessRgbaPixels(bytes, image.Width, image.Height));
    }

    [Fact]
    public void An_RGB_PNG_with_a_transparent_colour_reads_as_its_RGBA_twin()
    {
        // Grey ink on black that the file marks transparent (a tRNS chunk, which ImageSharp's encoder does not
        // write for RGB, so it is put in here). Read with its transparency, the background takes the colour
        // that contrasts with the ink (white), so the ink is the darker; read as plain RGB it would be the
        // lighter, on black.
        var canvas = new Canvas(120, 120).Ring(60, 60, 30, 45, 8);
        var ink = new Rgba32(60, 60, 60, 255);
        using var rgba = canvas.ToImage(ink, Canvas.Clear);
        using var opaque = canvas.ToImage(ink, Canvas.Black);
        using var stream = new MemoryStream();
        opaque.Save(stream, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 });
        const int signatureAndHeader = 8 + 4 + 4 + 13 + 4;
        var png = stream.ToArray().Take(signatureAndHeader).ToList();
        DigitImageFileTests.AddChunk(png, "tRNS", [0, 0, 0, 0, 0, 0]);
        png.AddRange(stream.ToArray().Skip(signatureAndHeader));

        var transparent = Read(rgba, PngColorType.RgbWithAlpha);
        Assert.True(transparent.DarkInk);
        AssertSame(transparent, DigitImage.Preprocess(new MemoryStream(png.ToArray()), "digit.png"));
    }
}
