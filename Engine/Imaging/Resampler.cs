namespace DeepGpu.Imaging;

/// <summary>
/// Separable resizing of a float plane: exact area-averaging when shrinking (every source pixel counts,
/// so thin strokes survive as fainter ones instead of vanishing between samples), linear when enlarging.
/// </summary>
internal static class Resampler
{
    public static float[] Resize(float[] src, int sw, int sh, int dw, int dh)
    {
        var across = Weights(sw, dw);
        var down = Weights(sh, dh);

        var rows = new float[dw * sh];
        for (int y = 0; y < sh; y++)
        {
            int row = y * sw;
            for (int x = 0; x < dw; x++)
            {
                float acc = 0f;
                foreach (var (i, wgt) in across[x]) acc += src[row + i] * wgt;
                rows[y * dw + x] = acc;
            }
        }

        var dst = new float[dw * dh];
        for (int y = 0; y < dh; y++)
            foreach (var (i, wgt) in down[y])
            {
                int from = i * dw, to = y * dw;
                for (int x = 0; x < dw; x++) dst[to + x] += rows[from + x] * wgt;
            }
        return dst;
    }

    /// <summary>For each output index, the source indices and weights (summing to 1) that make it.</summary>
    internal static (int Index, float Weight)[][] Weights(int n, int m)
    {
        var table = new (int, float)[m][];
        double k = (double)n / m;
        for (int j = 0; j < m; j++)
        {
            var taps = new List<(int, float)>();
            if (k >= 1.0)
            {
                double a = j * k, b = (j + 1) * k;
                for (int i = (int)Math.Floor(a); i < Math.Min(n, (int)Math.Ceiling(b)); i++)
                {
                    double overlap = Math.Min(b, i + 1) - Math.Max(a, i);
                    if (overlap > 0) taps.Add((i, (float)(overlap / k)));
                }
            }
            else
            {
                double pos = Math.Clamp((j + 0.5) * k - 0.5, 0, n - 1);
                int i0 = (int)Math.Floor(pos);
                int i1 = Math.Min(n - 1, i0 + 1);
                float t = (float)(pos - i0);
                taps.Add((i0, 1f - t));
                if (i1 != i0 && t > 0f) taps.Add((i1, t));
            }
            table[j] = taps.ToArray();
        }
        return table;
    }
}
