using System.Globalization;
using System.Text;

namespace DeepGpu.Reporting;

/// <summary>Small helpers shared by the SVG writers: escaping, number formatting, the palette and the fonts.</summary>
internal static class Svg
{
    public const string Font = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
    public const string Ink = "#1f2937";
    public const string MutedInk = "#4b5563";
    public const string Grid = "#e5e7eb";
    public const string MinorGrid = "#f3f4f6";
    public const string Axis = "#9ca3af";

    // Tableau 10: distinct hues that stay apart for colour-blind readers and in print.
    private static readonly string[] _palette =
    [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
        "#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#66a61e", "#a6761d",
    ];

    public static string Colour(int index) => _palette[index % _palette.Length];

    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default:
                    // Control characters are not allowed in XML 1.0.
                    if (c >= ' ' || c is '\t' or '\n' or '\r') sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>A coordinate with at most two decimals, invariant culture.</summary>
    public static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public static string Open(double width, double height) =>
        $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" " +
        $"font-family=\"{Font}\" role=\"img\">\n";

    /// <summary>Rough width of a text in pixels (there is no font measurement without a renderer).</summary>
    public static double TextWidth(string text, double fontSize) => text.Length * fontSize * 0.62;
}
