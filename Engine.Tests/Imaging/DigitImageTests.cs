using DeepGpu.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace DeepGpu.Tests.Imaging;

public sealed class DigitImageTests
{
    private static PreprocessResult Prepare(Canvas canvas, Rgba32 ink, Rgba32 background, string format = "png")
    {
        using var image = canvas.ToImage(ink, background);
        using var stream = Codec.Encode(image, format);
        return DigitImage.Preprocess(stream, $"digit.{format}");
    }

    private static void AssertDigit(PreprocessResult result, Canvas canvas, float aspectTolerance = 2.5f)
    {
        Assert.True(result.Found);
        var b = canvas.Bounds();
        DigitCheck.AssertMnistForm(result.Pixels, (b.W, b.H), aspectTolerance);
        Assert.Equal(canvas.Width, result.SourceWidth);
        Assert.Equal(canvas.Height, result.SourceHeight);
    }

    [Fact]
    public void ThickZero_OffCentre_OnLargeCanvas_DarkOnLight()
    {
        var canvas = new Canvas(2000, 1500).Ring(1500, 400, 220, 300, 60);
        var result = Prepare(canvas, Canvas.Black, Canvas.White);
        AssertDigit(result, canvas);
        Assert.True(result.DarkInk);

        // The box found is the drawn one (the ring's outer edge).
        var drawn = canvas.Bounds();
        var found = result.BoundingBox!.Value;
        Assert.InRange(found.X, drawn.X - 2, drawn.X + 2);
        Assert.InRange(found.Y, drawn.Y - 2, drawn.Y + 2);
        Assert.InRange(found.Width, drawn.W - 4, drawn.W + 4);
        Assert.InRange(found.Height, drawn.H - 4, drawn.H + 4);

        // A ring keeps its hole: the middle of the result is background.
        var (cx, cy) = DigitImage.CentreOfMass(result.Pixels);
        var centre = result.Pixels[(int)Math.Round(cy) * 28 + (int)Math.Round(cx)];
        Assert.True(centre < 0.1f, $"the centre pixel is {centre}");
    }

    [Fact]
    public void ThinOnePixelStrokes_OnLargeCanvas_StayVisible()
    {
        var seven = new Canvas(2000, 1500).Seven(300, 200, 1100, 1300, 1);
        var result = Prepare(seven, Canvas.Black, Canvas.White);
        AssertDigit(result, seven);
        // The strokes form a connected, clearly inked line of 20-odd pixels, not a few faint dots.
        Assert.True(result.Pixels.Count(v => v >= 0.5f) >= 25, $"only {result.Pixels.Count(v => v >= 0.5f)} bright pixels");

        var one = new Canvas(2000, 1500).One(1700, 100, 1400, 1);
        var r1 = Prepare(one, Canvas.Black, Canvas.White);
        AssertDigit(r1, one);
        Assert.InRange(r1.Pixels.Count(v => v >= 0.5f), 19, 28 * 28);
    }

    [Fact]
    public void HugePicture_IsAveragedDown_AndOnePixelStrokesSurvive()
    {
        // 12 megapixels: above the working size, so the picture is block-averaged before preparation.
        var canvas = new Canvas(4000, 3000).Seven(2600, 400, 3500, 2600, 1);
        var gray = new byte[canvas.Ink.Length];
        for (int i = 0; i < gray.Length; i++) gray[i] = canvas.Ink[i] ? (byte)20 : (byte)235;
        var result = DigitImage.PreprocessPixels(gray, 4000, 3000);
        AssertDigit(result, canvas);
        Assert.InRange(result.Pixels.Count(v => v >= 0.5f), 25, 28 * 28);
        var box = result.BoundingBox!.Value;
        Assert.InRange(box.X, 2596, 2600);
        Assert.InRange(box.Y, 396, 400);
    }

    [Fact]
    public void TallOne_StaysTall()
    {
        var canvas = new Canvas(600, 800).One(200, 150, 650, 40);
        var result = Prepare(canvas, Canvas.Black, Canvas.White);
        AssertDigit(result, canvas);
        var box = DigitCheck.Bounds(result.Pixels);
        Assert.Equal(20, box.H);
        Assert.InRange(box.W, 1, 4);
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(40, 30)]
    public void SmallCanvas(int width, int height)
    {
        var seven = new Canvas(width, height).Seven(width * 0.25, height * 0.15, width * 0.75, height * 0.85, 2);
        AssertDigit(Prepare(seven, Canvas.Black, Canvas.White), seven, aspectTolerance: 3f);

        var zero = new Canvas(width, height).Ring(width * 0.5, height * 0.5, width * 0.3, height * 0.38, 1.5);
        AssertDigit(Prepare(zero, Canvas.White, Canvas.Black), zero, aspectTolerance: 3f);
    }

    [Fact]
    public void LightOnDark_GivesTheSameAsDarkOnLight()
    {
        var canvas = new Canvas(300, 300).Seven(80, 60, 230, 250, 14);
        var dark = Prepare(canvas, Canvas.Black, Canvas.White);
        var light = Prepare(canvas, Canvas.White, Canvas.Black);
        AssertDigit(light, canvas);
        Assert.True(dark.DarkInk);
        Assert.False(light.DarkInk);
        Assert.Equal(dark.Pixels, light.Pixels);
    }

    [Fact]
    public void ColouredInkOnGreyPaper()
    {
        var canvas = new Canvas(400, 300).Ring(150, 150, 60, 100, 12);
        var result = Prepare(canvas, new Rgba32(30, 40, 160, 255), new Rgba32(200, 195, 185, 255), "jpg");
        AssertDigit(result, canvas);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(255, 255, 255)]
    [InlineData(220, 30, 30)]
    [InlineData(128, 128, 128)]
    public void TransparentBackground_OpaqueStrokes_AnyColour(byte r, byte g, byte b)
    {
        var canvas = new Canvas(500, 400).Seven(150, 60, 350, 340, 18);
        var result = Prepare(canvas, new Rgba32(r, g, b, 255), Canvas.Clear);
        AssertDigit(result, canvas);
        var reference = Prepare(canvas, Canvas.Black, Canvas.White);
        Assert.Equal(reference.Pixels, result.Pixels);
    }

    [Fact]
    public void TransparentBackground_SemiTransparentStrokes()
    {
        var canvas = new Canvas(500, 400).One(250, 50, 350, 20);
        var result = Prepare(canvas, new Rgba32(0, 0, 0, 128), Canvas.Clear);
        AssertDigit(result, canvas);
        // A white background behind half-transparent black ink: still ink.
        var onWhite = Prepare(canvas, new Rgba32(0, 0, 0, 128), new Rgba32(255, 255, 255, 255));
        AssertDigit(onWhite, canvas);
    }

    [Fact]
    public void OpaqueBackground_WithTransparentHoles_TakesTheBackgroundColour()
    {
        var canvas = new Canvas(300, 300).Ring(150, 150, 70, 100, 15);
        using var image = canvas.ToImage(Canvas.Black, Canvas.White);
        // Punch transparent holes into the white background, away from the ink.
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 40; x++) image[x + 5, y + 5] = Canvas.Clear;
        using var stream = Codec.Encode(image, "png");
        var result = DigitImage.Preprocess(stream, "holes.png");
        AssertDigit(result, canvas);
    }

    [Theory]
    [MemberData(nameof(Codec.Formats), MemberType = typeof(Codec))]
    public void EveryFormat_RoundTrips(string format)
    {
        var canvas = new Canvas(240, 200).Seven(60, 40, 180, 170, 9);
        var reference = Prepare(canvas, Canvas.Black, Canvas.White, "png");
        var result = Prepare(canvas, Canvas.Black, Canvas.White, format);
        AssertDigit(result, canvas);
        Assert.True(DigitCheck.Cosine(reference.Pixels, result.Pixels) > 0.97, $"{format} differs from PNG");
    }

    [Fact]
    public void ExifOrientation_IsApplied()
    {
        // Stored as a lying bar; EXIF orientation 6 says "turn 90 degrees clockwise to view": a standing "1".
        var lying = new Canvas(400, 300).Line(60, 150, 340, 150, 16);
        using var image = lying.ToImage(Canvas.Black, Canvas.White);
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        using var stream = Codec.Encode(image, "jpg");
        var result = DigitImage.Preprocess(stream, "photo.jpg");
        Assert.Equal(300, result.SourceWidth);
        Assert.Equal(400, result.SourceHeight);
        var box = DigitCheck.Bounds(result.Pixels);
        Assert.Equal(20, box.H);
        Assert.InRange(box.W, 1, 3);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("gif")]
    [InlineData("webp-lossless")]
    public void TransparentBackground_InFormatsWithAlpha(string format)
    {
        var canvas = new Canvas(200, 240).Ring(100, 120, 55, 80, 10);
        var reference = Prepare(canvas, Canvas.Black, Canvas.White);
        var result = Prepare(canvas, new Rgba32(20, 20, 200, 255), Canvas.Clear, format);
        AssertDigit(result, canvas);
        var cosine = DigitCheck.Cosine(reference.Pixels, result.Pixels);
        Assert.True(cosine > 0.97, $"cosine {cosine:F3}");
    }

    [Fact]
    public void JpegOfLargeCanvas_WithSpecks_IgnoresTheSpecks()
    {
        var canvas = new Canvas(1600, 1200).One(500, 300, 900, 30);
        // Dust: a few tiny dots far from the digit.
        for (int i = 0; i < 6; i++) canvas.Line(100 + 230 * i, 1100, 102 + 230 * i, 1101, 3);
        var result = Prepare(canvas, Canvas.Black, Canvas.White, "jpg");
        var one = new Canvas(1600, 1200).One(500, 300, 900, 30);
        AssertDigit(result, one);
        var box = result.BoundingBox!.Value;
        Assert.InRange(box.Height, 620, 660);
    }

    [Fact]
    public void FullyDrawnToTheEdges_StillWorks()
    {
        // A "1" from the very top to the very bottom of a small canvas.
        var canvas = new Canvas(20, 24).One(9.5, 0, 23, 3);
        var result = Prepare(canvas, Canvas.Black, Canvas.White);
        AssertDigit(result, canvas);
    }

    [Fact]
    public void BlankPictures_FindNoDigit()
    {
        foreach (var (ink, bg, format) in new[] { (Canvas.Black, Canvas.White, "png"), (Canvas.White, Canvas.Black, "jpg"), (Canvas.Black, Canvas.Clear, "png") })
        {
            var result = Prepare(new Canvas(300, 200), ink, bg, format);
            Assert.False(result.Found);
            Assert.Null(result.BoundingBox);
            Assert.Equal(784, result.Pixels.Length);
            Assert.All(result.Pixels, v => Assert.Equal(0f, v));
        }

        // A lone speck of dust is not a digit.
        var dust = new Canvas(800, 600).Line(400, 300, 402, 301, 3);
        Assert.False(Prepare(dust, Canvas.Black, Canvas.White).Found);

        // Faint grey noise on paper is not a digit either.
        var gray = new byte[200 * 150];
        var random = new Random(7);
        for (int i = 0; i < gray.Length; i++) gray[i] = (byte)(230 + random.Next(-8, 9));
        Assert.False(DigitImage.PreprocessPixels(gray, 200, 150).Found);
    }

    [Fact]
    public void RawPixels_MatchTheDecodedPicture()
    {
        var canvas = new Canvas(120, 90).Seven(30, 20, 90, 80, 6);
        var gray = new byte[canvas.Ink.Length];
        var rgba = new byte[canvas.Ink.Length * 4];
        for (int i = 0; i < gray.Length; i++)
        {
            gray[i] = canvas.Ink[i] ? (byte)0 : (byte)255;
            rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = gray[i];
            rgba[4 * i + 3] = 255;
        }
        float[] fromGray = DigitImage.FromPixels(gray, 120, 90);
        float[] fromRgba = DigitImage.FromRgbaPixels(rgba, 120, 90);
        DigitCheck.AssertMnistForm(fromGray);
        Assert.Equal(fromGray, fromRgba);
        Assert.Equal(fromGray, Prepare(canvas, Canvas.Black, Canvas.White).Pixels);

        var error = Assert.Throws<DeepGpuException>(() => DigitImage.FromPixels(gray, 100, 90));
        Assert.Contains("100x90", error.Message);
    }

    [Fact]
    public void LoadFromFile_AndFromUnseekableStream()
    {
        string dir = Directory.CreateTempSubdirectory("deepgpu-imaging-").FullName;
        try
        {
            var canvas = new Canvas(200, 200).Ring(100, 100, 50, 70, 10);
            string path = Path.Combine(dir, "zero.png");
            using (var image = canvas.ToImage(Canvas.Black, Canvas.White)) image.SaveAsPng(path);

            float[] fromFile = DigitImage.Load(path);
            DigitCheck.AssertMnistForm(fromFile);

            using var unseekable = new ForwardOnlyStream(File.ReadAllBytes(path));
            Assert.Equal(fromFile, DigitImage.Load(unseekable, "zero.png"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ForcedPolarity()
    {
        var canvas = new Canvas(200, 200).One(100, 30, 170, 12);
        var gray = new byte[canvas.Ink.Length];
        for (int i = 0; i < gray.Length; i++) gray[i] = canvas.Ink[i] ? (byte)0 : (byte)255;
        var auto = DigitImage.PreprocessPixels(gray, 200, 200);
        var forced = DigitImage.PreprocessPixels(gray, 200, 200, PreprocessOptions.Default with { Polarity = InkPolarity.DarkOnLight });
        Assert.Equal(auto.Pixels, forced.Pixels);
        // Told the ink is light, a black-on-white picture has nothing lighter than its background.
        Assert.False(DigitImage.PreprocessPixels(gray, 200, 200, new PreprocessOptions { Polarity = InkPolarity.LightOnDark }).Found);
    }

    [Fact]
    public void BadOptions_AreRefused()
    {
        var gray = new byte[16 * 16];
        var error = Assert.Throws<DeepGpuException>(() =>
            DigitImage.FromPixels(gray, 16, 16, new PreprocessOptions { NoiseFloor = 0.9f, InkSaturation = 0.5f }));
        Assert.Contains("NoiseFloor", error.Message);
    }

    private sealed class ForwardOnlyStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
