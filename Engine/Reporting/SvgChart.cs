using System.Globalization;
using System.Text;

namespace DeepGpu.Reporting;

/// <summary>
/// Line charts as self-contained SVG (no scripts, no fonts or styles from the network): axes with rounded
/// ticks, light gridlines, a legend, one distinct colour per series. Used for training curves and the
/// book's ch.6 experiment plots.
/// </summary>
public static class SvgChart
{
    private const double Width = 660, Height = 420;

    /// <summary>
    /// A line chart of <paramref name="series"/>, 660x420 pixels (wider for long legends), with the legend to the right of the plot.
    /// </summary>
    /// <param name="title">Shown above the chart.</param>
    /// <param name="xLabel">Names the x axis, e.g. "epoch".</param>
    /// <param name="yLabel">Names the y axis, e.g. "loss".</param>
    /// <param name="series">The curves; each is one path.</param>
    /// <param name="logY">A logarithmic y axis (values that are not positive are left out).</param>
    /// <returns>The SVG document.</returns>
    public static string Line(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(yLabel);
        CheckSeries(series);
        var names = series.Select(s => s.Name).Distinct().ToList();
        var legendWidth = names.Count == 0 ? 0 : 44 + names.Max(n => Svg.TextWidth(n, 13.5));
        var width = Math.Max(Width, 440 + legendWidth);
        var sb = new StringBuilder();
        sb.Append(Svg.Open(width, Height));
        sb.Append($"<title>{Svg.Escape(title)}</title>\n");
        sb.Append($"<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        sb.Append($"<text x=\"20\" y=\"30\" font-size=\"18\" font-weight=\"600\" fill=\"{Svg.Ink}\">{Svg.Escape(title)}</text>\n");
        var plot = new Area(72, 54, width - 72 - 22 - legendWidth, Height - 54 - 64);
        Plot(sb, plot, series, names, logY, new Style(13, 6, 7, 40), ClipId(title, 0));
        AxisTitles(sb, plot, xLabel, yLabel, 14, plot.Bottom + 48, 22);
        Legend(sb, names, plot.Right + 22, plot.Top + 8);
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>
    /// Small multiples: one small line chart per panel, <paramref name="columns"/> to a row, sharing one legend
    /// (a series name has the same colour in every panel) and the axis titles. Panels keep their own y range.
    /// </summary>
    /// <param name="title">Shown above the grid.</param>
    /// <param name="xLabel">Names the x axes.</param>
    /// <param name="yLabel">Names the y axes.</param>
    /// <param name="panels">The panels, row by row.</param>
    /// <param name="columns">Panels per row.</param>
    /// <param name="logY">Logarithmic y axes.</param>
    /// <returns>The SVG document.</returns>
    public static string Grid(string title, string xLabel, string yLabel, IReadOnlyList<ChartPanel> panels, int columns = 4, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(yLabel);
        ArgumentNullException.ThrowIfNull(panels);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        foreach (var p in panels)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(panels));
            CheckSeries(p.Series);
        }
        const double panelW = 250, panelH = 190, left = 64, top = 84, gapX = 50, gapY = 42;
        columns = Math.Max(1, Math.Min(columns, Math.Max(1, panels.Count)));
        var rows = (panels.Count + columns - 1) / columns;
        var names = panels.SelectMany(p => p.Series).Select(s => s.Name).Distinct().ToList();
        var width = left + columns * panelW + (columns - 1) * gapX + 20;
        var height = top + rows * panelH + Math.Max(0, rows - 1) * gapY + 56;
        var sb = new StringBuilder();
        sb.Append(Svg.Open(width, height));
        sb.Append($"<title>{Svg.Escape(title)}</title>\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        sb.Append($"<text x=\"20\" y=\"30\" font-size=\"18\" font-weight=\"600\" fill=\"{Svg.Ink}\">{Svg.Escape(title)}</text>\n");
        LegendRow(sb, names, 20, 54);
        for (var i = 0; i < panels.Count; i++)
        {
            var (r, c) = (i / columns, i % columns);
            var x = left + c * (panelW + gapX);
            var y = top + r * (panelH + gapY);
            var plot = new Area(x, y + 20, panelW, panelH - 20 - 22);
            sb.Append($"<g class=\"panel\">\n");
            sb.Append($"<text x=\"{Svg.N(x + panelW / 2)}\" y=\"{Svg.N(y + 12)}\" text-anchor=\"middle\" font-size=\"12.5\" font-weight=\"600\" fill=\"{Svg.Ink}\">{Svg.Escape(panels[i].Title)}</text>\n");
            Plot(sb, plot, panels[i].Series, names, logY, new Style(10, 4, 4, 12), ClipId(title, i));
            sb.Append("</g>\n");
        }
        var gridArea = new Area(left, top, width - left - 20, height - top - 56);
        AxisTitles(sb, gridArea, xLabel, yLabel, 12.5, height - 16, 18);
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    // Deterministic ids (the same chart gives the same bytes), distinct enough for several charts inlined in one page.
    private static string ClipId(string title, int index)
    {
        var hash = 2166136261u;
        foreach (var c in title) hash = (hash ^ c) * 16777619u;
        return $"clip-{hash:x8}-{index}";
    }

    private static void CheckSeries(IReadOnlyList<Series> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        foreach (var s in series)
        {
            ArgumentNullException.ThrowIfNull(s, nameof(series));
            ArgumentNullException.ThrowIfNull(s.Name, nameof(series));
            ArgumentNullException.ThrowIfNull(s.X, nameof(series));
            ArgumentNullException.ThrowIfNull(s.Y, nameof(series));
            if (s.X.Count != s.Y.Count) throw new ArgumentException($"Series {s.Name} has {s.X.Count} x values but {s.Y.Count} y values.", nameof(series));
        }
    }

    private readonly record struct Area(double X, double Y, double W, double H)
    {
        public double Top => Y;
        public double Bottom => Y + H;
        public double Left => X;
        public double Right => X + W;
    }

    private readonly record struct Style(double FontSize, int XTicks, int YTicks, int MaxMarkers);

    private static void Plot(StringBuilder sb, Area a, IReadOnlyList<Series> series, List<string> names, bool logY, Style style, string clip)
    {
        bool Usable(double x, double y) => double.IsFinite(x) && double.IsFinite(y) && (!logY || y > 0);
        var points = series.SelectMany(s => s.X.Zip(s.Y)).Where(p => Usable(p.First, p.Second)).ToList();
        var xs = Axis.Linear(points.Select(p => p.First), style.XTicks);
        var ys = logY ? Axis.Log(points.Select(p => p.Second)) : Axis.Linear(points.Select(p => p.Second), style.YTicks);
        double Px(double x) => a.X + (x - xs.Min) / (xs.Max - xs.Min) * a.W;
        double Py(double y) => a.Bottom - (ys.Map(y) - ys.Map(ys.Min)) / (ys.Map(ys.Max) - ys.Map(ys.Min)) * a.H;

        sb.Append($"<rect x=\"{Svg.N(a.X)}\" y=\"{Svg.N(a.Y)}\" width=\"{Svg.N(a.W)}\" height=\"{Svg.N(a.H)}\" fill=\"#fcfcfd\"/>\n");
        sb.Append("<g class=\"grid\" stroke-width=\"1\">\n");
        foreach (var m in ys.Minor) sb.Append($"<line x1=\"{Svg.N(a.X)}\" x2=\"{Svg.N(a.Right)}\" y1=\"{Svg.N(Py(m))}\" y2=\"{Svg.N(Py(m))}\" stroke=\"{Svg.MinorGrid}\"/>\n");
        foreach (var t in ys.Ticks) sb.Append($"<line x1=\"{Svg.N(a.X)}\" x2=\"{Svg.N(a.Right)}\" y1=\"{Svg.N(Py(t))}\" y2=\"{Svg.N(Py(t))}\" stroke=\"{Svg.Grid}\"/>\n");
        foreach (var t in xs.Ticks) sb.Append($"<line x1=\"{Svg.N(Px(t))}\" x2=\"{Svg.N(Px(t))}\" y1=\"{Svg.N(a.Y)}\" y2=\"{Svg.N(a.Bottom)}\" stroke=\"{Svg.Grid}\"/>\n");
        sb.Append("</g>\n");

        sb.Append($"<g class=\"ticks\" font-size=\"{Svg.N(style.FontSize)}\" fill=\"{Svg.MutedInk}\">\n");
        foreach (var t in ys.Ticks) sb.Append($"<text x=\"{Svg.N(a.X - 7)}\" y=\"{Svg.N(Py(t) + style.FontSize * 0.35)}\" text-anchor=\"end\">{Svg.Escape(ys.Label(t))}</text>\n");
        foreach (var t in xs.Ticks) sb.Append($"<text x=\"{Svg.N(Px(t))}\" y=\"{Svg.N(a.Bottom + style.FontSize + 6)}\" text-anchor=\"middle\">{Svg.Escape(xs.Label(t))}</text>\n");
        sb.Append("</g>\n");
        sb.Append($"<path class=\"axis\" d=\"M{Svg.N(a.X)},{Svg.N(a.Y)}V{Svg.N(a.Bottom)}H{Svg.N(a.Right)}\" fill=\"none\" stroke=\"{Svg.Axis}\" stroke-width=\"1\"/>\n");

        // Lines are clipped to the plot so a point just outside a rounded range cannot spill over the labels.
        sb.Append($"<clipPath id=\"{clip}\"><rect x=\"{Svg.N(a.X - 3)}\" y=\"{Svg.N(a.Y - 3)}\" width=\"{Svg.N(a.W + 6)}\" height=\"{Svg.N(a.H + 6)}\"/></clipPath>\n");
        sb.Append($"<g clip-path=\"url(#{clip})\" fill=\"none\" stroke-width=\"2.2\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n");
        foreach (var s in series)
        {
            var colour = Svg.Colour(names.IndexOf(s.Name));
            var d = new StringBuilder();
            var pen = false;
            var usable = new List<(double X, double Y)>();
            for (var i = 0; i < s.X.Count; i++)
            {
                if (!Usable(s.X[i], s.Y[i]))
                {
                    pen = false;
                    continue;
                }
                d.Append(pen ? 'L' : 'M').Append(Svg.N(Px(s.X[i]))).Append(',').Append(Svg.N(Py(s.Y[i])));
                pen = true;
                usable.Add((s.X[i], s.Y[i]));
            }
            sb.Append($"<path class=\"series\" d=\"{d}\" stroke=\"{colour}\"><title>{Svg.Escape(s.Name)}</title></path>\n");
            // Few points: mark them, so a one-epoch history still shows a dot.
            if (usable.Count <= style.MaxMarkers)
            {
                foreach (var (x, y) in usable) sb.Append($"<circle cx=\"{Svg.N(Px(x))}\" cy=\"{Svg.N(Py(y))}\" r=\"3\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1\"/>\n");
            }
        }
        sb.Append("</g>\n");
    }

    private static void AxisTitles(StringBuilder sb, Area a, string xLabel, string yLabel, double fontSize, double xTitleY, double yTitleX)
    {
        sb.Append($"<text class=\"x-label\" x=\"{Svg.N(a.X + a.W / 2)}\" y=\"{Svg.N(xTitleY)}\" text-anchor=\"middle\" font-size=\"{Svg.N(fontSize)}\" fill=\"{Svg.Ink}\">{Svg.Escape(xLabel)}</text>\n");
        var cy = a.Y + a.H / 2;
        sb.Append($"<text class=\"y-label\" x=\"{Svg.N(yTitleX)}\" y=\"{Svg.N(cy)}\" transform=\"rotate(-90 {Svg.N(yTitleX)} {Svg.N(cy)})\" text-anchor=\"middle\" font-size=\"{Svg.N(fontSize)}\" fill=\"{Svg.Ink}\">{Svg.Escape(yLabel)}</text>\n");
    }

    private static void Legend(StringBuilder sb, List<string> names, double x, double y)
    {
        sb.Append("<g class=\"legend\" font-size=\"13.5\">\n");
        for (var i = 0; i < names.Count; i++)
        {
            var cy = y + i * 23;
            sb.Append($"<line x1=\"{Svg.N(x)}\" x2=\"{Svg.N(x + 22)}\" y1=\"{Svg.N(cy)}\" y2=\"{Svg.N(cy)}\" stroke=\"{Svg.Colour(i)}\" stroke-width=\"3\" stroke-linecap=\"round\"/>\n");
            sb.Append($"<text x=\"{Svg.N(x + 30)}\" y=\"{Svg.N(cy + 4.5)}\" fill=\"{Svg.Ink}\">{Svg.Escape(names[i])}</text>\n");
        }
        sb.Append("</g>\n");
    }

    private static void LegendRow(StringBuilder sb, List<string> names, double x, double y)
    {
        sb.Append("<g class=\"legend\" font-size=\"12.5\">\n");
        foreach (var (name, i) in names.Select((n, i) => (n, i)))
        {
            sb.Append($"<line x1=\"{Svg.N(x)}\" x2=\"{Svg.N(x + 22)}\" y1=\"{Svg.N(y)}\" y2=\"{Svg.N(y)}\" stroke=\"{Svg.Colour(i)}\" stroke-width=\"3\" stroke-linecap=\"round\"/>\n");
            sb.Append($"<text x=\"{Svg.N(x + 30)}\" y=\"{Svg.N(y + 4.5)}\" fill=\"{Svg.Ink}\">{Svg.Escape(name)}</text>\n");
            x += 30 + Svg.TextWidth(name, 12.5) + 22;
        }
        sb.Append("</g>\n");
    }

    /// <summary>An axis: its range, tick values and labels; <see cref="Map"/> is identity or log10.</summary>
    private sealed class Axis
    {
        public double Min { get; private init; }
        public double Max { get; private init; }
        public List<double> Ticks { get; private init; } = [];
        public List<double> Minor { get; private init; } = [];
        private bool IsLog { get; init; }
        private int Decimals { get; init; }

        public double Map(double v) => IsLog ? Math.Log10(v) : v;

        public string Label(double v)
        {
            if (!IsLog) return v.ToString("F" + Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            var k = (int)Math.Round(Math.Log10(v));
            if (Math.Abs(v - Math.Pow(10, k)) < 1e-9 * v && (k < -3 || k > 4)) return $"1e{k}";
            return v.ToString(v < 1 ? "0.####" : "#,0", CultureInfo.InvariantCulture);
        }

        public static Axis Linear(IEnumerable<double> values, int target)
        {
            var list = values.ToList();
            double lo = list.Count == 0 ? 0 : list.Min(), hi = list.Count == 0 ? 1 : list.Max();
            if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi)))
            {
                var pad = lo == 0 ? 1 : Math.Abs(lo) * 0.1;
                (lo, hi) = (lo - pad, hi + pad);
            }
            var step = NiceStep((hi - lo) / target);
            // Whole numbers (epochs, iterations) get whole ticks: no "1.5 epochs".
            if (step < 1 && list.Count > 0 && list.All(v => v == Math.Round(v)) && hi - lo >= 1) step = 1;
            var min = Math.Floor(lo / step + 1e-9) * step;
            var max = Math.Ceiling(hi / step - 1e-9) * step;
            var ticks = new List<double>();
            for (var t = min; t <= max + step * 1e-6; t += step) ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
            return new Axis { Min = min, Max = max, Ticks = ticks, Decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9)) };
        }

        public static Axis Log(IEnumerable<double> values)
        {
            var list = values.Where(v => v > 0).ToList();
            var lo = list.Count == 0 ? 0 : (int)Math.Floor(Math.Log10(list.Min()) + 1e-9);
            var hi = list.Count == 0 ? 1 : (int)Math.Ceiling(Math.Log10(list.Max()) - 1e-9);
            if (hi <= lo) hi = lo + 1;
            var ticks = new List<double>();
            var minor = new List<double>();
            for (var k = lo; k <= hi; k++)
            {
                var p = Math.Pow(10, k);
                ticks.Add(p);
                if (k == hi) break;
                foreach (var m in new[] { 2, 3, 4, 5, 6, 7, 8, 9 })
                {
                    // With few decades, 2 and 5 get labels too; otherwise they are faint lines.
                    if (hi - lo <= 2 && m is 2 or 5) ticks.Add(m * p);
                    else minor.Add(m * p);
                }
            }
            return new Axis { Min = Math.Pow(10, lo), Max = Math.Pow(10, hi), Ticks = ticks, Minor = minor, IsLog = true };
        }

        private static double NiceStep(double raw)
        {
            var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            var f = raw / magnitude;
            return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * magnitude;
        }
    }
}
