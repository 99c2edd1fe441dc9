using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace DeepGpu.Tests.Imaging;

/// <summary>A canvas of ink coverage the tests draw digits on with plain pixel code (no drawing library).</summary>
internal sealed class Canvas
{
    public Canvas(int width, int height)
    {
        Width = width;
        Height = height;
        Ink = new bool[width * height];
    }

    public int Width { get; }
    public int Height { get; }
    public bool[] Ink { get; }

    public void Set(int x, int y)
    {
        if ((uint)x < (uint)Width && (uint)y < (uint)Height) Ink[y * Width + x] = true;
    }

    /// <summary>A segment drawn with a round pen of the given width (1 = single pixels, 8-connected).</summary>
    public Canvas Line(double x0, double y0, double x1, double y1, double width)
    {
        if (width <= 1.0)
        {
            int steps = (int)Math.Ceiling(Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0))) + 1;
            for (int i = 0; i <= steps; i++)
            {
                double t = (double)i / steps;
                Set((int)Math.Round(x0 + t * (x1 - x0)), (int)Math.Round(y0 + t * (y1 - y0)));
            }
            return this;
        }

        double r = width / 2;
        int minX = (int)Math.Floor(Math.Min(x0, x1) - r), maxX = (int)Math.Ceiling(Math.Max(x0, x1) + r);
        int minY = (int)Math.Floor(Math.Min(y0, y1) - r), maxY = (int)Math.Ceiling(Math.Max(y0, y1) + r);
        double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
        for (int y = Math.Max(0, minY); y <= Math.Min(Height - 1, maxY); y++)
            for (int x = Math.Max(0, minX); x <= Math.Min(Width - 1, maxX); x++)
            {
                double t = len2 == 0 ? 0 : Math.Clamp(((x - x0) * dx + (y - y0) * dy) / len2, 0, 1);
                double ex = x - (x0 + t * dx), ey = y - (y0 + t * dy);
                if (ex * ex + ey * ey <= r * r) Ink[y * Width + x] = true;
            }
        return this;
    }

    /// <summary>An elliptical ring (a "0") centred at (cx, cy) with radii rx, ry, drawn with the given pen width.</summary>
    public Canvas Ring(double cx, double cy, double rx, double ry, double width)
    {
        int segments = (int)Math.Max(64, 2 * Math.PI * Math.Max(rx, ry));
        for (int i = 0; i < segments; i++)
        {
            double a0 = 2 * Math.PI * i / segments, a1 = 2 * Math.PI * (i + 1) / segments;
            Line(cx + rx * Math.Cos(a0), cy + ry * Math.Sin(a0), cx + rx * Math.Cos(a1), cy + ry * Math.Sin(a1), width);
        }
        return this;
    }

    /// <summary>A "1": a vertical bar from (x, top) down to (x, bottom).</summary>
    public Canvas One(double x, double top, double bottom, double width) => Line(x, top, x, bottom, width);

    /// <summary>A "7" in the box (left, top)-(right, bottom): a top bar and a diagonal down to the bottom.</summary>
    public Canvas Seven(double left, double top, double right, double bottom, double width) =>
        Line(left, top, right, top, width).Line(right, top, left + (right - left) * 0.35, bottom, width);

    /// <summary>Bounding box of the drawn ink: (x, y, width, height).</summary>
    public (int X, int Y, int W, int H) Bounds()
    {
        int x0 = Width, y0 = Height, x1 = -1, y1 = -1;
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
                if (Ink[y * Width + x])
                {
                    x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                    y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                }
        return (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    /// <summary>The picture: ink pixels in one colour, the rest in another (either may be transparent).</summary>
    public Image<Rgba32> ToImage(Rgba32 ink, Rgba32 background)
    {
        var image = new Image<Rgba32>(Width, Height);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgba32> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) row[x] = Ink[y * Width + x] ? ink : background;
            }
        });
        return image;
    }

    public static readonly Rgba32 Black = new(0, 0, 0, 255);
    public static readonly Rgba32 White = new(255, 255, 255, 255);
    public static readonly Rgba32 Clear = new(0, 0, 0, 0);
}

internal static class Codec
{
    /// <summary>Every format <see cref="For"/> encodes, for the tests that run on each.</summary>
    public static TheoryData<string> Formats => new("png", "jpg", "bmp", "gif", "tiff", "webp", "webp-lossless");

    public static IImageEncoder For(string format) => format switch
    {
        "png" => new PngEncoder(),
        "jpg" => new JpegEncoder { Quality = 85 },
        "bmp" => new BmpEncoder(),
        "gif" => new GifEncoder(),
        "tiff" => new TiffEncoder(),
        "webp" => new WebpEncoder(),
        "webp-lossless" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
        _ => throw new ArgumentException(format),
    };

    public static MemoryStream Encode(Image image, string format)
    {
        var stream = new MemoryStream();
        image.Save(stream, For(format));
        stream.Position = 0;
        return stream;
    }
}
