using DeepGpu.Kernels;

namespace DeepGpu.Data.Augmentation;

/// <summary>
/// How strongly <see cref="DigitDistortion"/> distorts: elastic warping, slant and rotation, width and height,
/// and strokes made thicker or thinner. Lengths are in pixels of the 28x28 image.
/// </summary>
public sealed record DistortionOptions
{
    /// <summary>Elastic warp: largest displacement of the smoothed random field (Simard et al. 2003).</summary>
    public float ElasticAlpha { get; init; } = 2.5f;

    /// <summary>Elastic warp: smoothing of the random field, in pixels (larger is smoother).</summary>
    public float ElasticSigma { get; init; } = 4f;

    /// <summary>Largest rotation either way, in degrees.</summary>
    public float MaxRotationDegrees { get; init; } = 12f;

    /// <summary>Largest horizontal shear either way (x += shear·y): slant, forward or back.</summary>
    public float MaxShear { get; init; } = 0.35f;

    /// <summary>Largest change of the width-to-height ratio, as a factor (1.25: from 0.8 to 1.25 times).</summary>
    public float MaxAspect { get; init; } = 1.3f;

    /// <summary>Stroke width change, in pixels of the 28x28 image: drawn uniformly from [-Thinner, +Thicker].</summary>
    public float Thicker { get; init; } = 1.5f;

    /// <summary>See <see cref="Thicker"/>.</summary>
    public float Thinner { get; init; } = 0.75f;

    /// <summary>Fraction of images left as they are.</summary>
    public float KeepFraction { get; init; } = 0.15f;
}

/// <summary>
/// Host-side augmentation for 28x28 digits: each image is warped (elastic field, rotation, slant, aspect), its
/// strokes made thicker or thinner by grey-level dilation or erosion, and then fitted back the way MNIST and
/// picture preprocessing place digits (longer side 20 pixels, centre of mass at (14, 14)), so a distorted digit
/// never looks shifted or resized in a way real inputs are not. Deterministic from (seed, round, index).
/// </summary>
public static class DigitDistortion
{
    private const int Size = 28;
    private const int Box = 20;
    private const float Centre = 14f;

    // Work canvas: Scale times finer than 28x28, with Margin source pixels of room on each side.
    private const int Scale = 2;
    private const int Margin = 4;
    private const int Canvas = (Size + 2 * Margin) * Scale;

    /// <summary>A distorted copy of every image of <paramref name="data"/> (28x28, one channel); labels unchanged.</summary>
    public static Dataset Apply(Dataset data, DistortionOptions options, ulong seed, ulong round)
    {
        if (data.SampleShape.Size != Size * Size)
        {
            throw new DataException($"Digit distortion takes 28x28 images, but {data.Source} holds {data.SampleShape} samples.");
        }
        var images = new byte[data.Images.Length];
        Parallel.For(0, data.Count, i =>
        {
            var stream = seed ^ (round * 0x9E3779B97F4A7C15UL) ^ ((ulong)i * 0xD1B54A32D192ED03UL);
            Distort(data.GetImage(i), images.AsSpan(i * Size * Size, Size * Size), options, stream);
        });
        return new Dataset(images, data.Labels, data.SampleShape, data.Classes, $"{data.Source}, distorted (round {round})");
    }

    /// <summary>Distorts one 28x28 image into <paramref name="output"/> with random numbers from <paramref name="stream"/>.</summary>
    public static void Distort(ReadOnlySpan<byte> image, Span<byte> output, DistortionOptions o, ulong stream)
    {
        ulong counter = 0;
        float Uniform(float lo, float hi) => lo + (hi - lo) * CounterRng.Uniform(stream, counter++);

        if (CounterRng.Uniform(stream, counter++) < o.KeepFraction)
        {
            image.CopyTo(output);
            return;
        }

        var source = new float[Size * Size];
        for (var i = 0; i < source.Length; i++) source[i] = image[i] / 255f;

        // Inverse map from canvas to source: undo aspect, shear and rotation about the image centre.
        var angle = Uniform(-o.MaxRotationDegrees, o.MaxRotationDegrees) * MathF.PI / 180f;
        var shear = Uniform(-o.MaxShear, o.MaxShear);
        var aspect = MathF.Exp(Uniform(-MathF.Log(o.MaxAspect), MathF.Log(o.MaxAspect)));
        var (sin, cos) = MathF.SinCos(angle);
        // Forward: v = R · Sh · diag(aspect, 1) · u; inverse = diag(1/aspect, 1) · Sh⁻¹ · R⁻¹.
        float a00 = cos, a01 = sin, a10 = -sin, a11 = cos; // R⁻¹
        float b00 = a00 - shear * a10, b01 = a01 - shear * a11; // Sh⁻¹ · R⁻¹ (x -= shear·y)
        float i00 = b00 / aspect, i01 = b01 / aspect, i10 = a10, i11 = a11;

        var (fieldX, fieldY) = ElasticField(o, stream, ref counter);
        var canvas = new float[Canvas * Canvas];
        for (var cy = 0; cy < Canvas; cy++)
        {
            for (var cx = 0; cx < Canvas; cx++)
            {
                // Canvas pixel centre in 28x28 coordinates, relative to the image centre.
                var x = (cx + 0.5f) / Scale - Margin - Centre;
                var y = (cy + 0.5f) / Scale - Margin - Centre;
                var sx = i00 * x + i01 * y + Centre;
                var sy = i10 * x + i11 * y + Centre;
                sx += Bilinear(fieldX, Size, Size, sx - 0.5f, sy - 0.5f);
                sy += Bilinear(fieldY, Size, Size, sx - 0.5f, sy - 0.5f);
                canvas[cy * Canvas + cx] = Bilinear(source, Size, Size, sx - 0.5f, sy - 0.5f);
            }
        }

        var change = Uniform(-o.Thinner, o.Thicker) * Scale / 2f;
        var radius = (int)MathF.Round(MathF.Abs(change));
        if (radius > 0) canvas = Morph(canvas, Canvas, radius, dilate: change > 0);

        FitInto(canvas, output);
    }

    // A random displacement field on the 28x28 grid, smoothed by a Gaussian and scaled so its largest value is alpha.
    private static (float[] X, float[] Y) ElasticField(DistortionOptions o, ulong stream, ref ulong counter)
    {
        var x = new float[Size * Size];
        var y = new float[Size * Size];
        if (o.ElasticAlpha <= 0f) return (x, y);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = 2f * CounterRng.Uniform(stream, counter++) - 1f;
            y[i] = 2f * CounterRng.Uniform(stream, counter++) - 1f;
        }
        var alpha = o.ElasticAlpha * CounterRng.Uniform(stream, counter++);
        foreach (var field in new[] { x, y })
        {
            Smooth(field, o.ElasticSigma);
            var peak = 0f;
            foreach (var v in field) peak = MathF.Max(peak, MathF.Abs(v));
            if (peak > 0f)
            {
                for (var i = 0; i < field.Length; i++) field[i] *= alpha / peak;
            }
        }
        return (x, y);
    }

    // Separable Gaussian blur with clamped edges.
    private static void Smooth(float[] field, float sigma)
    {
        var r = (int)MathF.Ceiling(2.5f * sigma);
        var kernel = new float[2 * r + 1];
        for (var k = -r; k <= r; k++) kernel[k + r] = MathF.Exp(-k * k / (2f * sigma * sigma));
        var temp = new float[field.Length];
        for (var pass = 0; pass < 2; pass++)
        {
            var (from, to) = pass == 0 ? (field, temp) : (temp, field);
            for (var y = 0; y < Size; y++)
            {
                for (var x = 0; x < Size; x++)
                {
                    float sum = 0f, weight = 0f;
                    for (var k = -r; k <= r; k++)
                    {
                        var qx = pass == 0 ? Math.Clamp(x + k, 0, Size - 1) : x;
                        var qy = pass == 0 ? y : Math.Clamp(y + k, 0, Size - 1);
                        sum += kernel[k + r] * from[qy * Size + qx];
                        weight += kernel[k + r];
                    }
                    to[y * Size + x] = sum / weight;
                }
            }
        }
    }

    // Value at (x, y) in pixel-index coordinates; zero outside the image.
    private static float Bilinear(float[] image, int w, int h, float x, float y)
    {
        var x0 = (int)MathF.Floor(x);
        var y0 = (int)MathF.Floor(y);
        float fx = x - x0, fy = y - y0;
        return (1 - fy) * ((1 - fx) * At(image, w, h, x0, y0) + fx * At(image, w, h, x0 + 1, y0))
             + fy * ((1 - fx) * At(image, w, h, x0, y0 + 1) + fx * At(image, w, h, x0 + 1, y0 + 1));
    }

    private static float At(float[] image, int w, int h, int x, int y) => (uint)x < (uint)w && (uint)y < (uint)h ? image[y * w + x] : 0f;

    // Grey-level dilation (max) or erosion (min), r times over 3x3 neighbourhoods, alternating a cross and a square
    // so the pen stays roughly round: a wider or narrower pen. The canvas's outermost pixels are left as they are.
    private static float[] Morph(float[] src, int size, int r, bool dilate)
    {
        var a = (float[])src.Clone();
        var b = (float[])src.Clone();
        for (var pass = 0; pass < r; pass++)
        {
            var square = pass % 2 == 1;
            for (var y = 1; y < size - 1; y++)
            {
                for (var x = 1; x < size - 1; x++)
                {
                    var i = y * size + x;
                    var m = a[i];
                    m = Pick(m, Pick(Pick(a[i - 1], a[i + 1]), Pick(a[i - size], a[i + size])));
                    if (square) m = Pick(m, Pick(Pick(a[i - size - 1], a[i - size + 1]), Pick(a[i + size - 1], a[i + size + 1])));
                    b[i] = m;
                }
            }
            (a, b) = (b, a);
        }
        // Erosion must not erase a digit whose strokes are all thinner than the pen.
        return dilate || a.Max() >= 0.5f ? a : src;

        float Pick(float p, float q) => dilate ? MathF.Max(p, q) : MathF.Min(p, q);
    }

    // Crops the canvas's ink, scales it so its longer side is 20 pixels and puts its centre of mass at (14, 14),
    // averaging Scale x Scale samples per output pixel.
    private static void FitInto(float[] canvas, Span<byte> output)
    {
        int x0 = Canvas, y0 = Canvas, x1 = -1, y1 = -1;
        double mass = 0, mx = 0, my = 0;
        for (var y = 0; y < Canvas; y++)
        {
            for (var x = 0; x < Canvas; x++)
            {
                var v = canvas[y * Canvas + x];
                if (v <= 0.1f) continue;
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                mass += v; mx += v * (x + 0.5); my += v * (y + 0.5);
            }
        }
        output.Clear();
        if (x1 < 0) return;
        // Strokes as bright as before an erosion dimmed them: pictures are prepared with full-strength ink.
        var peak = canvas.Max();
        // Canvas pixels per output pixel.
        var step = Math.Max(x1 - x0 + 1, y1 - y0 + 1) / (float)Box;
        float comX = (float)(mx / mass), comY = (float)(my / mass);
        const int sub = Scale;
        for (var oy = 0; oy < Size; oy++)
        {
            for (var ox = 0; ox < Size; ox++)
            {
                var sum = 0f;
                for (var sy = 0; sy < sub; sy++)
                {
                    for (var sx = 0; sx < sub; sx++)
                    {
                        var cx = comX + (ox + (sx + 0.5f) / sub - Centre) * step;
                        var cy = comY + (oy + (sy + 0.5f) / sub - Centre) * step;
                        sum += Bilinear(canvas, Canvas, Canvas, cx - 0.5f, cy - 0.5f);
                    }
                }
                output[oy * Size + ox] = (byte)Math.Clamp(MathF.Round(sum / (sub * sub) / peak * 255f), 0f, 255f);
            }
        }
    }
}
