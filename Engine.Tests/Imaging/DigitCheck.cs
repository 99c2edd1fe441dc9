using DeepGpu.Imaging;
using Xunit;

namespace DeepGpu.Tests.Imaging;

/// <summary>What a 28x28 result should look like if it was prepared the MNIST way.</summary>
internal static class DigitCheck
{
    public static (int X, int Y, int W, int H) Bounds(float[] image, float threshold = 0f)
    {
        int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                if (image[y * 28 + x] > threshold)
                {
                    x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                    y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                }
        return x1 < 0 ? (0, 0, 0, 0) : (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    /// <summary>
    /// Asserts the MNIST form: 784 values in [0, 1], bright ink, background 0, the longer side of the
    /// bounding box 20 (±1) inside 28x28, and the centre of mass within 1 pixel of (14, 14). When the drawn
    /// digit's size is given, also that the shorter side keeps its proportion (thin strokes may be thickened
    /// to about 2 pixels, hence the tolerance).
    /// </summary>
    public static void AssertMnistForm(float[] image, (int W, int H)? drawn = null, float aspectTolerance = 2.5f)
    {
        Assert.Equal(784, image.Length);
        Assert.All(image, v => Assert.InRange(v, 0f, 1f));
        Assert.True(image.Max() >= 0.9f, $"ink is too faint: max {image.Max()}");

        var box = Bounds(image);
        int longer = Math.Max(box.W, box.H);
        Assert.True(longer is >= 19 and <= 21, $"longer side of the digit is {longer} pixels, not 20 (box {box})");
        Assert.True(box.W <= 21 && box.H <= 21, $"digit does not fit the 20x20 box: {box}");

        // Background: everything outside the digit's box is exactly 0, and so are the corners.
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                if (x < box.X || x >= box.X + box.W || y < box.Y || y >= box.Y + box.H)
                    Assert.Equal(0f, image[y * 28 + x]);

        var (cx, cy) = CentreOfMass(image);
        var library = DigitImage.CentreOfMass(image);
        Assert.True(Math.Abs(library.X - cx) < 1e-3 && Math.Abs(library.Y - cy) < 1e-3, $"DigitImage.CentreOfMass says ({library.X}, {library.Y}), the check ({cx}, {cy})");
        Assert.True(Math.Abs(cx - 14f) <= 1f && Math.Abs(cy - 14f) <= 1f, $"centre of mass is ({cx:F2}, {cy:F2}), not (14, 14)");

        if (drawn is var (dw, dh))
        {
            float scale = 20f / Math.Max(dw, dh);
            float expectW = dw * scale, expectH = dh * scale;
            Assert.True(Math.Abs(box.W - expectW) <= aspectTolerance && Math.Abs(box.H - expectH) <= aspectTolerance,
                $"aspect ratio lost: drawn {dw}x{dh}, expected about {expectW:F1}x{expectH:F1}, got {box.W}x{box.H}");
        }
    }

    /// <summary>Centre of mass in pixel indices (x = column, y = row), each pixel weighted by its value.</summary>
    public static (double X, double Y) CentreOfMass(float[] image)
    {
        double m = 0, sx = 0, sy = 0;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                m += image[y * 28 + x];
                sx += image[y * 28 + x] * x;
                sy += image[y * 28 + x] * y;
            }
        return (sx / m, sy / m);
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.Sqrt(aa * bb);
    }
}
