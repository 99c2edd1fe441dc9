using System.Buffers;

namespace DeepGpu.Imaging;

/// <summary>
/// The MNIST preparation on a plane of premultiplied luminance and alpha: composite, polarity, contrast,
/// specks, crop, scale into the 20x20 box, centre of mass at (14, 14).
/// </summary>
internal static class DigitPreprocessor
{
    // The resampling runs at Oversample times the final size so that thickening and the last
    // area-average are done on a finer grid than 28x28.
    private const int Oversample = 4;

    // lum is luminance times alpha, alpha is opacity, both in [0, 1], w x h values each (the arrays may be
    // longer); a null alpha means every pixel is opaque. factor is source pixels per plane pixel along each
    // axis (huge pictures are block-averaged first). lum is worked on in place: it becomes the grey plane,
    // then the ink, so a picture costs no further planes of its size.
    public static PreprocessResult Run(float[] lum, float[]? alpha, int w, int h, int factor, int sourceWidth, int sourceHeight, PreprocessOptions o)
    {
        int n = w * h;
        // An opaque picture is its own grey plane: compositing adds (1 - 1) * background to each pixel.
        float[] gray = alpha is null ? lum : Composite(lum, alpha, w, h);

        float b = Median(BorderValues(gray, w, h));
        var (inkIsDark, darkPeak, lightPeak) = Contrast(gray.AsSpan(0, n), b);
        bool darkInk = o.Polarity switch
        {
            InkPolarity.DarkOnLight => true,
            InkPolarity.LightOnDark => false,
            _ => inkIsDark,
        };
        float peak = darkInk ? darkPeak : lightPeak;
        if (peak < o.MinContrast)
            return NotFound(sourceWidth, sourceHeight, darkInk);

        // Ink strength above the background level as a fraction of the peak, from the noise floor (0) to
        // saturation (1); paper grey and brighter patches go to 0.
        float lo = o.NoiseFloor, range = o.InkSaturation - o.NoiseFloor;
        float background = Math.Clamp((0f / peak - lo) / range, 0f, 1f);
        float[] ink = gray;
        for (int i = 0; i < n; i++)
        {
            float d = darkInk ? b - gray[i] : gray[i] - b;
            ink[i] = d > 0f ? Math.Clamp((d / peak - lo) / range, 0f, 1f) : background;
        }

        if (!RemoveSpecks(ink, w, h, o.SpeckFraction, out int bx0, out int by0, out int bx1, out int by1))
            return NotFound(sourceWidth, sourceHeight, darkInk);

        int cw = bx1 - bx0 + 1, ch = by1 - by0 + 1;
        if (Math.Max(cw, ch) < Math.Max(2f, o.MinDigitFraction * Math.Max(w, h)))
            return NotFound(sourceWidth, sourceHeight, darkInk);

        float[] crop = ArrayPool<float>.Shared.Rent(cw * ch);
        float[] digit;
        int dw, dh;
        try
        {
            for (int y = 0; y < ch; y++)
                Array.Copy(ink, (by0 + y) * w + bx0, crop, y * cw, cw);
            digit = FitBox(crop, cw, ch, o.MinStrokeWidth, out dw, out dh);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(crop);
        }
        float[] pixels = Place(digit, dw, dh);

        int sx0 = bx0 * factor, sy0 = by0 * factor;
        int sx1 = Math.Min(sourceWidth, (bx1 + 1) * factor), sy1 = Math.Min(sourceHeight, (by1 + 1) * factor);
        var box = new PixelBox(sx0, sy0, sx1 - sx0, sy1 - sy0);
        return new PreprocessResult(pixels, true, box, sourceWidth, sourceHeight, darkInk);
    }

    private static PreprocessResult NotFound(int sw, int sh, bool darkInk) =>
        new(new float[DigitImage.PixelCount], false, null, sw, sh, darkInk);

    // Transparent pixels take the background's colour; on a transparent background, the colour that
    // contrasts with the ink. Returns lum, now the grey plane.
    private static float[] Composite(float[] lum, float[] alpha, int w, int h)
    {
        int n = w * h;
        float borderAlpha = Median(BorderValues(alpha, w, h));
        float bg;
        if (borderAlpha >= 0.5f)
        {
            var opaque = new List<float>();
            ForEachBorder(w, h, i => { if (alpha[i] >= 0.5f) opaque.Add(lum[i] / alpha[i]); });
            bg = Median(opaque.ToArray());
        }
        else
        {
            double sl = 0, sa = 0;
            for (int i = 0; i < n; i++) { sl += lum[i]; sa += alpha[i]; }
            bg = sa > 0 && sl / sa < 0.5 ? 1f : 0f;
        }
        for (int i = 0; i < n; i++) lum[i] += (1f - alpha[i]) * bg;
        return lum;
    }

    // The ink is on whichever side of the background level b holds more (clearly off-background) mass; the
    // peaks are the largest distances below and above b, whichever side the ink turns out to be on.
    private static (bool InkIsDark, float DarkPeak, float LightPeak) Contrast(ReadOnlySpan<float> gray, float b)
    {
        const float margin = 0.1f;
        double dark = 0, light = 0;
        float darkPeak = 0f, lightPeak = 0f;
        foreach (float g in gray)
        {
            if (g < b - margin) dark += b - margin - g;
            else if (g > b + margin) light += g - b - margin;
            if (b - g > darkPeak) darkPeak = b - g;
            if (g - b > lightPeak) lightPeak = g - b;
        }
        return (dark != light ? dark > light : b > 0.5f, darkPeak, lightPeak);
    }

    private static void ForEachBorder(int w, int h, Action<int> visit)
    {
        for (int x = 0; x < w; x++)
        {
            visit(x);
            if (h > 1) visit((h - 1) * w + x);
        }
        for (int y = 1; y < h - 1; y++)
        {
            visit(y * w);
            if (w > 1) visit(y * w + w - 1);
        }
    }

    private static float[] BorderValues(float[] plane, int w, int h)
    {
        var values = new List<float>(2 * (w + h));
        ForEachBorder(w, h, i => values.Add(plane[i]));
        return values.ToArray();
    }

    private static float Median(float[] values)
    {
        if (values.Length == 0) return 0f;
        Array.Sort(values);
        int m = values.Length / 2;
        return values.Length % 2 == 1 ? values[m] : 0.5f * (values[m - 1] + values[m]);
    }

    // 8-connected blobs whose ink is a small fraction of the total are dust, JPEG ringing, stray clicks.
    // Removes them and finds the bounding box of the ink left; false when there is none.
    private static bool RemoveSpecks(float[] ink, int w, int h, float fraction, out int x0, out int y0, out int x1, out int y1)
    {
        if (fraction <= 0f) return BoundingBox(ink, w, h, out x0, out y0, out x1, out y1);
        int n = w * h;
        int[] label = ArrayPool<int>.Shared.Rent(n), stack = ArrayPool<int>.Shared.Rent(n);
        Array.Clear(label, 0, n);
        try
        {
            return RemoveSpecks(ink, label, stack, w, h, fraction, out x0, out y0, out x1, out y1);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(label);
            ArrayPool<int>.Shared.Return(stack);
        }
    }

    // label (zeroed) and stack hold w x h values. A blob is walked depth first, its neighbours row by row.
    private static bool RemoveSpecks(float[] ink, int[] label, int[] stack, int w, int h, float fraction, out int x0, out int y0, out int x1, out int y1)
    {
        int n = w * h;
        var masses = new List<double> { 0 };
        double total = 0;
        for (int start = 0; start < n; start++)
        {
            if (ink[start] <= 0f || label[start] != 0) continue;
            int id = masses.Count;
            double mass = 0;
            label[start] = id;
            int top = 0;
            stack[top++] = start;
            while (top > 0)
            {
                int p = stack[--top];
                mass += ink[p];
                int py = p / w, px = p - py * w;
                int qx0 = Math.Max(px - 1, 0), qx1 = Math.Min(px + 1, w - 1);
                for (int qy = Math.Max(py - 1, 0), qy1 = Math.Min(py + 1, h - 1); qy <= qy1; qy++)
                {
                    for (int q = qy * w + qx0, end = qy * w + qx1; q <= end; q++)
                    {
                        if (ink[q] > 0f && label[q] == 0)
                        {
                            label[q] = id;
                            stack[top++] = q;
                        }
                    }
                }
            }
            masses.Add(mass);
            total += mass;
        }

        // Every labelled pixel holds ink; the box is that of the blobs kept.
        double limit = fraction * total;
        x0 = w; y0 = h; x1 = -1; y1 = -1;
        for (int y = 0, i = 0; y < h; y++)
            for (int x = 0; x < w; x++, i++)
            {
                if (label[i] == 0) continue;
                if (masses[label[i]] < limit)
                {
                    ink[i] = 0f;
                    continue;
                }
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
        return x1 >= 0;
    }

    private static bool BoundingBox(float[] ink, int w, int h, out int x0, out int y0, out int x1, out int y1)
    {
        x0 = w; y0 = h; x1 = -1; y1 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (ink[y * w + x] <= 0f) continue;
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
        return x1 >= 0;
    }

    /// <summary>Average stroke width in pixels: twice the ink area over the outline length.</summary>
    internal static float StrokeWidth(float[] ink, int w, int h)
    {
        double area = 0;
        long edges = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float v = ink[y * w + x];
                area += v;
                bool on = v >= 0.5f;
                bool right = x + 1 < w && ink[y * w + x + 1] >= 0.5f;
                bool down = y + 1 < h && ink[(y + 1) * w + x] >= 0.5f;
                if (on != right) edges++;
                if (on != down) edges++;
                if (on && x == 0) edges++;
                if (on && y == 0) edges++;
            }
        return edges == 0 ? (float)Math.Max(1.0, Math.Sqrt(area)) : (float)(2 * area / edges);
    }

    /// <summary>Scales the cropped ink so its longer side is 20 pixels, thickening strokes that would be too thin.</summary>
    private static float[] FitBox(float[] crop, int cw, int ch, float minStroke, out int dw, out int dh)
    {
        int fine = DigitImage.BoxSize * Oversample;
        int longer = Math.Max(cw, ch);
        float stroke = StrokeWidth(crop, cw, ch);

        // Dilation radius on the fine grid; the digit is shrunk by it so the thickened one still fits.
        int radius = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            float scale = (fine - 2f * radius) / longer;
            float fineStroke = stroke * scale;
            if (minStroke > 0f && fineStroke < minStroke * Oversample)
                radius = Math.Max(radius, (int)Math.Ceiling((minStroke * Oversample - fineStroke) / 2f));
        }
        radius = Math.Min(radius, fine / 8);

        float s = (fine - 2f * radius) / longer;
        int iw = Math.Max(1, (int)Math.Round(cw * s)), ih = Math.Max(1, (int)Math.Round(ch * s));
        float[] core = Resampler.Resize(crop, cw, ch, iw, ih);

        // Area-averaging turns a stroke much thinner than a fine pixel into a faint one; restore its strength.
        float coverage = Math.Min(1f, stroke * s);
        if (coverage < 1f)
            for (int i = 0; i < core.Length; i++) core[i] = Math.Min(1f, core[i] / coverage);

        int pw = iw + 2 * radius, ph = ih + 2 * radius;
        var padded = new float[pw * ph];
        for (int y = 0; y < ih; y++)
            Array.Copy(core, y * iw, padded, (y + radius) * pw + radius, iw);
        if (radius > 0) padded = Dilate(padded, pw, ph, radius);

        dw = Math.Max(1, (int)Math.Round(pw / (float)Oversample));
        dh = Math.Max(1, (int)Math.Round(ph / (float)Oversample));
        float[] digit = Resampler.Resize(padded, pw, ph, dw, dh);

        float max = 0f;
        foreach (float v in digit) max = Math.Max(max, v);
        if (max > 0f)
            for (int i = 0; i < digit.Length; i++) digit[i] = Math.Min(1f, digit[i] / max);
        return digit;
    }

    // Grey-level dilation with a disc: the pen made wider.
    private static float[] Dilate(float[] src, int w, int h, int r)
    {
        var dst = new float[src.Length];
        var offsets = new List<(int dx, int dy)>();
        for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++)
                if (dx * dx + dy * dy <= r * r + r) offsets.Add((dx, dy));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float m = 0f;
                foreach (var (dx, dy) in offsets)
                {
                    int qx = x + dx, qy = y + dy;
                    if ((uint)qx < (uint)w && (uint)qy < (uint)h && src[qy * w + qx] > m) m = src[qy * w + qx];
                }
                dst[y * w + x] = m;
            }
        return dst;
    }

    /// <summary>Puts the digit into 28x28, shifted by whole pixels so its centre of mass lands on (14, 14).</summary>
    private static float[] Place(float[] digit, int dw, int dh)
    {
        const int size = DigitImage.Size;
        var (cx, cy) = CentreOfMass(digit, dw, dh);
        int ox = Math.Clamp((int)Math.Round(DigitImage.Centre - cx), 0, size - dw);
        int oy = Math.Clamp((int)Math.Round(DigitImage.Centre - cy), 0, size - dh);
        var result = new float[size * size];
        for (int y = 0; y < dh; y++)
            Array.Copy(digit, y * dw, result, (oy + y) * size + ox, dw);
        return result;
    }

    internal static (float X, float Y) CentreOfMass(ReadOnlySpan<float> image, int w, int h)
    {
        double m = 0, sx = 0, sy = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float v = image[y * w + x];
                m += v;
                sx += v * x;
                sy += v * y;
            }
        return m > 0 ? ((float)(sx / m), (float)(sy / m)) : ((w - 1) / 2f, (h - 1) / 2f);
    }
}
