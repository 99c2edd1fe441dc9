using System.Globalization;
using System.Text;

namespace DeepGpu.Reporting;

/// <summary>Heat maps as self-contained SVG.</summary>
public static class SvgHeatmap
{
    /// <summary>
    /// A confusion matrix: rows are true classes, columns predicted ones, each cell shows its count. Cells are
    /// shaded by their share of the row (the true class), blue on the diagonal (right) and red off it (mistakes),
    /// so the errors that matter stand out; empty cells stay white. The right column gives each class's recall.
    /// </summary>
    /// <param name="matrix">Counts [true, predicted], square, as many rows as <paramref name="labels"/>.</param>
    /// <param name="labels">Class names, in class order.</param>
    /// <param name="title">Shown above the map.</param>
    /// <returns>The SVG document.</returns>
    public static string Confusion(int[,] matrix, IReadOnlyList<string> labels, string title = "Confusion matrix")
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(title);
        var n = labels.Count;
        if (matrix.GetLength(0) != n || matrix.GetLength(1) != n)
        {
            throw new ArgumentException($"The matrix is {matrix.GetLength(0)}x{matrix.GetLength(1)} but there are {n} labels.", nameof(matrix));
        }
        var max = 0;
        foreach (var v in matrix) max = Math.Max(max, v);
        var cell = n <= 12 ? 46.0 : Math.Max(16, 560.0 / n);
        var font = Math.Min(13, cell * 0.3);
        var labelWidth = Math.Max(24, labels.Count == 0 ? 0 : labels.Max(l => Svg.TextWidth(l, 12.5))) + 14;
        double left = 40 + labelWidth, top = 92;
        var width = left + n * cell + 80;
        var height = top + n * cell + 30;
        var sb = new StringBuilder();
        sb.Append(Svg.Open(width, height));
        sb.Append($"<title>{Svg.Escape(title)}</title>\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        sb.Append($"<text x=\"20\" y=\"30\" font-size=\"17\" font-weight=\"600\" fill=\"{Svg.Ink}\">{Svg.Escape(title)}</text>\n");
        sb.Append($"<text x=\"{Svg.N(left + n * cell / 2)}\" y=\"60\" text-anchor=\"middle\" font-size=\"12.5\" fill=\"{Svg.MutedInk}\">predicted</text>\n");
        var cy = top + n * cell / 2;
        sb.Append($"<text x=\"22\" y=\"{Svg.N(cy)}\" transform=\"rotate(-90 22 {Svg.N(cy)})\" text-anchor=\"middle\" font-size=\"12.5\" fill=\"{Svg.MutedInk}\">true</text>\n");
        sb.Append($"<text x=\"{Svg.N(left + n * cell + 40)}\" y=\"{Svg.N(top - 10)}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{Svg.MutedInk}\">recall</text>\n");
        sb.Append($"<g font-size=\"12.5\" fill=\"{Svg.Ink}\">\n");
        for (var i = 0; i < n; i++)
        {
            sb.Append($"<text x=\"{Svg.N(left + (i + 0.5) * cell)}\" y=\"{Svg.N(top - 10)}\" text-anchor=\"middle\">{Svg.Escape(labels[i])}</text>\n");
            sb.Append($"<text x=\"{Svg.N(left - 8)}\" y=\"{Svg.N(top + (i + 0.5) * cell + 4.5)}\" text-anchor=\"end\">{Svg.Escape(labels[i])}</text>\n");
        }
        sb.Append("</g>\n");
        sb.Append($"<g font-size=\"{Svg.N(font)}\" text-anchor=\"middle\">\n");
        for (var t = 0; t < n; t++)
        {
            long rowTotal = 0;
            for (var p = 0; p < n; p++) rowTotal += matrix[t, p];
            for (var p = 0; p < n; p++)
            {
                var count = matrix[t, p];
                var share = rowTotal == 0 ? 0 : (double)count / rowTotal;
                // Mistakes are rare, so their shade rises faster: a 5% confusion is already clearly red.
                var strength = t == p ? share : Math.Min(1, Math.Sqrt(share * 4));
                var fill = count == 0 ? "#ffffff" : Blend(t == p ? (37, 99, 235) : (220, 38, 38), 0.08 + 0.92 * strength);
                var x = left + p * cell;
                var y = top + t * cell;
                sb.Append($"<rect class=\"cell\" x=\"{Svg.N(x)}\" y=\"{Svg.N(y)}\" width=\"{Svg.N(cell)}\" height=\"{Svg.N(cell)}\" fill=\"{fill}\" stroke=\"#e5e7eb\" stroke-width=\"1\">");
                sb.Append($"<title>true {Svg.Escape(labels[t])}, predicted {Svg.Escape(labels[p])}: {count}</title></rect>\n");
                if (count > 0 && font >= 6)
                {
                    var ink = strength > 0.55 ? "#ffffff" : Svg.Ink;
                    var weight = t == p ? " font-weight=\"600\"" : "";
                    sb.Append($"<text x=\"{Svg.N(x + cell / 2)}\" y=\"{Svg.N(y + cell / 2 + font * 0.35)}\" fill=\"{ink}\"{weight}>{count.ToString(CultureInfo.InvariantCulture)}</text>\n");
                }
            }
            var recall = rowTotal == 0 ? "–" : ((double)matrix[t, t] / rowTotal).ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);
            sb.Append($"<text x=\"{Svg.N(left + n * cell + 40)}\" y=\"{Svg.N(top + (t + 0.5) * cell + font * 0.35)}\" fill=\"{Svg.MutedInk}\">{recall}</text>\n");
        }
        sb.Append("</g>\n");
        sb.Append($"<rect x=\"{Svg.N(left)}\" y=\"{Svg.N(top)}\" width=\"{Svg.N(n * cell)}\" height=\"{Svg.N(n * cell)}\" fill=\"none\" stroke=\"{Svg.Axis}\"/>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Blend((int R, int G, int B) colour, double amount)
    {
        int Mix(int c) => (int)Math.Round(255 + (c - 255) * Math.Clamp(amount, 0, 1));
        return $"#{Mix(colour.R):x2}{Mix(colour.G):x2}{Mix(colour.B):x2}";
    }
}
