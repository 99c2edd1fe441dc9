using DeepGpu.IO;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace DeepGpu.Reporting;

/// <summary>
/// Grids of small gray images (digits, filters): as a PNG, or as an SVG with a caption under each image (the
/// PNG has no text; the SVG embeds each image as PNG data, so it needs no other file). Values are gray levels in
/// [0, 1] (0 black, 1 white); values outside are clipped, NaN is black.
/// </summary>
public static class ImageGrid
{
    /// <summary>
    /// Writes the images as one grayscale PNG, <paramref name="columns"/> to a row, each pixel drawn as a
    /// <paramref name="scale"/> x <paramref name="scale"/> block, with <paramref name="gap"/> pixels of
    /// <paramref name="background"/> between and around them. The file is written to a temporary name and renamed.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="images">The images, each <paramref name="width"/> x <paramref name="height"/> values, row-major.</param>
    /// <param name="width">Width of one image in pixels.</param>
    /// <param name="height">Height of one image in pixels.</param>
    /// <param name="columns">Images per row (fewer when there are fewer images).</param>
    /// <param name="scale">Upscaling factor, so that a 5x5 filter is visible (8 makes it 40x40).</param>
    /// <param name="gap">Pixels between images and around the grid.</param>
    /// <param name="background">Gray level of the gaps.</param>
    /// <returns>The PNG's size in pixels: <see cref="GridSize"/>.</returns>
    /// <exception cref="DeepGpuException">The file cannot be written.</exception>
    public static (int Width, int Height) Png(string path, IReadOnlyList<float[]> images, int width, int height,
        int columns = 10, int scale = 1, int gap = 1, float background = 1f)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var image = Draw(images, width, height, columns, scale, gap, background);
        AtomicFile.Write(path, stream => image.Save(stream, _encoder));
        return (image.Width, image.Height);
    }

    /// <summary>The size in pixels of a grid that <see cref="Png"/> draws.</summary>
    public static (int Width, int Height) GridSize(int count, int width, int height, int columns = 10, int scale = 1, int gap = 1)
    {
        var cols = Math.Max(1, Math.Min(columns, count));
        var rows = Math.Max(1, (count + cols - 1) / cols);
        return (cols * width * scale + (cols + 1) * gap, rows * height * scale + (rows + 1) * gap);
    }

    /// <summary>One image as PNG bytes (grayscale, each pixel a <paramref name="scale"/>-square block).</summary>
    public static byte[] EncodePng(float[] image, int width, int height, int scale = 1)
    {
        using var picture = Draw([image], width, height, 1, scale, 0, 0f);
        using var stream = new MemoryStream();
        picture.Save(stream, _encoder);
        return stream.ToArray();
    }

    /// <summary>
    /// The images as an SVG grid with a caption under each (lines split at '\n'; the first line in bold). Each
    /// image is embedded as PNG data and drawn with crisp pixels at <paramref name="scale"/> times its size.
    /// </summary>
    /// <param name="images">The images, each <paramref name="width"/> x <paramref name="height"/> values.</param>
    /// <param name="width">Width of one image in pixels.</param>
    /// <param name="height">Height of one image in pixels.</param>
    /// <param name="captions">One caption per image, or null for none.</param>
    /// <param name="columns">Images per row.</param>
    /// <param name="scale">Display scale.</param>
    /// <returns>The SVG document.</returns>
    public static string Svg(IReadOnlyList<float[]> images, int width, int height, IReadOnlyList<string>? captions = null, int columns = 10, int scale = 3)
    {
        Check(images, width, height, columns, scale, 0);
        if (captions is not null && captions.Count != images.Count)
        {
            throw new ArgumentException($"There are {captions.Count} captions for {images.Count} images.", nameof(captions));
        }
        var lines = captions is null || captions.Count == 0 ? 0 : captions.Max(c => c.Split('\n').Length);
        double tileW = Math.Max(width * scale, 56), tileH = height * scale + lines * 15 + (lines > 0 ? 6 : 0), gap = 10;
        var cols = Math.Max(1, Math.Min(columns, images.Count));
        var rows = (images.Count + cols - 1) / cols;
        var svgW = cols * tileW + (cols + 1) * gap;
        var svgH = Math.Max(1, rows) * (tileH + gap) + gap;
        var sb = new StringBuilder();
        sb.Append(Reporting.Svg.Open(svgW, svgH).Replace("<svg ", "<svg xmlns:xlink=\"http://www.w3.org/1999/xlink\" ", StringComparison.Ordinal));
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        for (var i = 0; i < images.Count; i++)
        {
            var x = gap + (i % cols) * (tileW + gap);
            var y = gap + (i / cols) * (tileH + gap);
            var ix = x + (tileW - width * scale) / 2;
            var data = Convert.ToBase64String(EncodePng(images[i], width, height));
            sb.Append("<g class=\"tile\">");
            sb.Append($"<image x=\"{Reporting.Svg.N(ix)}\" y=\"{Reporting.Svg.N(y)}\" width=\"{width * scale}\" height=\"{height * scale}\" ");
            sb.Append($"image-rendering=\"pixelated\" style=\"image-rendering:pixelated\" preserveAspectRatio=\"none\" href=\"data:image/png;base64,{data}\"/>");
            if (captions is not null)
            {
                var parts = captions[i].Split('\n');
                for (var l = 0; l < parts.Length; l++)
                {
                    var style = l == 0 ? $"font-size=\"12.5\" font-weight=\"600\" fill=\"{Reporting.Svg.Ink}\"" : $"font-size=\"11\" fill=\"{Reporting.Svg.MutedInk}\"";
                    sb.Append($"<text x=\"{Reporting.Svg.N(x + tileW / 2)}\" y=\"{Reporting.Svg.N(y + height * scale + 15 + l * 15)}\" text-anchor=\"middle\" {style}>{Reporting.Svg.Escape(parts[l])}</text>");
                }
            }
            sb.Append("</g>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>
    /// Each image scaled on its own to [0, 1] (its smallest value black, its largest white), as the book's
    /// visualize_filter shows filters; a constant image becomes mid-gray.
    /// </summary>
    public static IReadOnlyList<float[]> NormalizeEach(IEnumerable<float[]> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.Select(image =>
        {
            ArgumentNullException.ThrowIfNull(image, nameof(images));
            var finite = image.Where(float.IsFinite).ToList();
            if (finite.Count == 0) return new float[image.Length];
            float lo = finite.Min(), hi = finite.Max();
            return image.Select(v => !float.IsFinite(v) ? 0f : hi > lo ? (v - lo) / (hi - lo) : 0.5f).ToArray();
        }).ToList();
    }

    /// <summary>
    /// The filters of a convolution weight tensor [F, C, KH, KW] as images, each scaled to [0, 1]: channel
    /// <paramref name="channel"/> of each filter, or with <paramref name="allChannels"/> every channel of
    /// filter 0, then of filter 1, … (lay them out with C columns).
    /// </summary>
    public static IReadOnlyList<float[]> Filters(ReadOnlySpan<float> weights, int filters, int channels, int kernelHeight, int kernelWidth,
        bool allChannels = false, int channel = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(filters, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelWidth, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, channels);
        var k = kernelHeight * kernelWidth;
        if (weights.Length != filters * channels * k)
        {
            throw new ArgumentException($"{weights.Length} weights are not {filters}x{channels}x{kernelHeight}x{kernelWidth}.", nameof(weights));
        }
        var images = new List<float[]>();
        for (var f = 0; f < filters; f++)
        {
            for (var c = allChannels ? 0 : channel; c < (allChannels ? channels : channel + 1); c++)
            {
                images.Add(weights.Slice((f * channels + c) * k, k).ToArray());
            }
        }
        return NormalizeEach(images);
    }

    private static readonly PngEncoder _encoder = new() { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 };

    private static void Check(IReadOnlyList<float[]> images, int width, int height, int columns, int scale, int gap)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(gap);
        for (var i = 0; i < images.Count; i++)
        {
            if (images[i] is null || images[i].Length != width * height)
            {
                throw new ArgumentException($"Image {i} has {images[i]?.Length ?? 0} values, not {width}x{height}.", nameof(images));
            }
        }
    }

    private static Image<L8> Draw(IReadOnlyList<float[]> images, int width, int height, int columns, int scale, int gap, float background)
    {
        Check(images, width, height, columns, scale, gap);
        var (w, h) = GridSize(images.Count, width, height, columns, scale, gap);
        var cols = Math.Max(1, Math.Min(columns, images.Count));
        var picture = new Image<L8>(w, h, new L8(Gray(background)));
        for (var i = 0; i < images.Count; i++)
        {
            var x0 = gap + (i % cols) * (width * scale + gap);
            var y0 = gap + (i / cols) * (height * scale + gap);
            for (var y = 0; y < height * scale; y++)
            {
                for (var x = 0; x < width * scale; x++)
                {
                    picture[x0 + x, y0 + y] = new L8(Gray(images[i][y / scale * width + x / scale]));
                }
            }
        }
        return picture;
    }

    private static byte Gray(float v) => (byte)MathF.Round((float.IsNaN(v) ? 0f : Math.Clamp(v, 0f, 1f)) * 255f);
}
