using DeepGpu.IO;
using DeepGpu.Reporting;

namespace DeepGpu.Experiments;

/// <summary>Draws an experiment's curves the way the book plots them, as one SVG picture.</summary>
public static class ExperimentChart
{
    /// <summary>
    /// Loss experiments plot their smoothed curves (book: smooth_curve) on a log axis, where small losses stay
    /// apart; experiments whose curves come in groups (batch norm per init scale, overfitting per regulariser)
    /// get one panel per group.
    /// </summary>
    public static string ToSvg(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var smoothed = result.Curves.Where(c => c.Group == "smoothed").ToList();
        if (smoothed.Count > 0)
        {
            var series = smoothed.Select(c => new Series(c.Name.Replace(" (smoothed)", ""), c.X, c.Y)).ToList();
            return SvgChart.Line(result.Title, result.XLabel, result.YLabel + " (smoothed)", series, logY: true);
        }
        var groups = result.Curves.Where(c => c.Group is not null).GroupBy(c => c.Group!).ToList();
        if (groups.Count > 1)
        {
            var panels = groups.Select(g => new ChartPanel(g.Key, g.Select(c => new Series(ShortName(c.Name, g.Key), c.X, c.Y)).ToList())).ToList();
            return SvgChart.Grid(result.Title, result.XLabel, result.YLabel, panels, columns: panels.Count > 4 ? 4 : panels.Count);
        }
        return SvgChart.Line(result.Title, result.XLabel, result.YLabel, result.Curves.Select(c => new Series(c.Name, c.X, c.Y)).ToList());
    }

    /// <summary>Writes the chart to <paramref name="path"/> (temporary name, then renamed).</summary>
    public static void Write(ExperimentResult result, string path) => AtomicFile.WriteText(path, ToSvg(result), createDirectory: true);

    // Within a panel titled by its group, "dropout 0.2, train" reads as "train".
    private static string ShortName(string name, string group) =>
        name.StartsWith(group + ", ", StringComparison.Ordinal) ? name[(group.Length + 2)..] : name;
}
