using System.Buffers;
using SixLabors.ImageSharp.PixelFormats;

namespace DeepGpu.Imaging;

/// <summary>How one kind of pixel reads as luminance and opacity, both in [0, 1].</summary>
internal interface IPixelReading<TPixel>
{
    /// <summary>Whether every pixel of this kind is opaque (its alpha is always 1).</summary>
    static abstract bool Opaque { get; }

    static abstract float Luminance(in TPixel pixel);

    static abstract float Alpha(in TPixel pixel);
}

/// <summary>Pixel readings: Rec. 601 luma for colour, the value itself for raw grey bytes.</summary>
internal static class PixelReadings
{
    // Rec. 601 luma, as in the usual RGB-to-grey conversion.
    public static float Luma(byte r, byte g, byte b) => (0.299f * r + 0.587f * g + 0.114f * b) / 255f;

    public readonly struct Rgba : IPixelReading<Rgba32>
    {
        public static bool Opaque => false;

        public static float Luminance(in Rgba32 p) => Luma(p.R, p.G, p.B);

        public static float Alpha(in Rgba32 p) => p.A / 255f;
    }

    public readonly struct Rgb : IPixelReading<Rgb24>
    {
        public static bool Opaque => true;

        public static float Luminance(in Rgb24 p) => Luma(p.R, p.G, p.B);

        public static float Alpha(in Rgb24 p) => 1f;
    }

    /// <summary>A grey picture's pixel, read as the RGB pixel it widens to, so it reads as the same value.</summary>
    public readonly struct Grey : IPixelReading<L8>
    {
        public static bool Opaque => true;

        public static float Luminance(in L8 p) => Luma(p.PackedValue, p.PackedValue, p.PackedValue);

        public static float Alpha(in L8 p) => 1f;
    }

    /// <summary>A byte of a caller's grey array: the value over 255.</summary>
    public readonly struct GreyByte : IPixelReading<byte>
    {
        public static bool Opaque => true;

        public static float Luminance(in byte p) => p / 255f;

        public static float Alpha(in byte p) => 1f;
    }
}

/// <summary>
/// Premultiplied luminance and alpha of a picture, block-averaged when the picture is huge. Its two planes
/// are rented from the shared pool (a 280x280 picture's are on the large-object heap otherwise, allocated
/// and zeroed for every picture); <see cref="Dispose"/> returns them. A picture whose pixels are all opaque
/// at full size needs no alpha plane.
/// </summary>
internal sealed class LuminancePlane : IDisposable
{
    private readonly int _sourceWidth, _sourceHeight, _factor, _width, _height;
    private float[]? _lum, _alpha;
    private bool _opaque = true;

    /// <param name="workingPixels">Pictures with more pixels are block-averaged down to about this many.</param>
    public LuminancePlane(int sourceWidth, int sourceHeight, long workingPixels)
    {
        _sourceWidth = sourceWidth;
        _sourceHeight = sourceHeight;
        _factor = Math.Max(1, (int)Math.Ceiling(Math.Sqrt((double)sourceWidth * sourceHeight / workingPixels)));
        _width = (sourceWidth + _factor - 1) / _factor;
        _height = (sourceHeight + _factor - 1) / _factor;
        int n = _width * _height;
        _lum = ArrayPool<float>.Shared.Rent(n);
        _alpha = ArrayPool<float>.Shared.Rent(n);
        // Blocks are sums; a plane at full size has each value written once.
        if (_factor > 1)
        {
            Array.Clear(_lum, 0, n);
            Array.Clear(_alpha, 0, n);
        }
    }

    /// <summary>Adds row <paramref name="y"/> of the source picture.</summary>
    public void AddRow<TPixel, TReading>(int y, ReadOnlySpan<TPixel> row) where TReading : IPixelReading<TPixel>
    {
        float[] lum = _lum!, alpha = _alpha!;
        int start = y / _factor * _width;
        if (_factor == 1 && TReading.Opaque)
        {
            Span<float> lumRow = lum.AsSpan(start, _width);
            for (int x = 0; x < row.Length; x++) lumRow[x] = TReading.Luminance(row[x]);
            return;
        }
        if (_factor == 1)
        {
            Span<float> lumRow = lum.AsSpan(start, _width), alphaRow = alpha.AsSpan(start, _width);
            bool opaque = true;
            for (int x = 0; x < row.Length; x++)
            {
                float a = TReading.Alpha(row[x]);
                lumRow[x] = TReading.Luminance(row[x]) * a;
                alphaRow[x] = a;
                opaque &= a == 1f;
            }
            _opaque &= opaque;
            return;
        }
        // Block sums: a block of opaque pixels averages to an alpha that need not be exactly 1.
        _opaque = false;
        for (int x = 0; x < row.Length; x++)
        {
            int i = start + x / _factor;
            float a = TReading.Alpha(row[x]);
            lum[i] += TReading.Luminance(row[x]) * a;
            alpha[i] += a;
        }
    }

    /// <summary>Finishes the block averages and prepares the digit (the planes are used up doing it).</summary>
    public PreprocessResult Run(PreprocessOptions options)
    {
        float[] lum = _lum!, alpha = _alpha!;
        if (_factor > 1)
        {
            for (int py = 0; py < _height; py++)
            {
                int rows = Math.Min(_sourceHeight, (py + 1) * _factor) - py * _factor;
                for (int px = 0; px < _width; px++)
                {
                    int cols = Math.Min(_sourceWidth, (px + 1) * _factor) - px * _factor;
                    float inv = 1f / (rows * cols);
                    lum[py * _width + px] *= inv;
                    alpha[py * _width + px] *= inv;
                }
            }
        }
        return DigitPreprocessor.Run(lum, _opaque ? null : alpha, _width, _height, _factor, _sourceWidth, _sourceHeight, options);
    }

    public void Dispose()
    {
        if (_lum is not null) ArrayPool<float>.Shared.Return(_lum);
        if (_alpha is not null) ArrayPool<float>.Shared.Return(_alpha);
        _lum = _alpha = null;
    }
}
