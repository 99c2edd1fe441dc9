namespace DeepGpu.Reporting;

/// <summary>
/// One named curve of a chart: points (X[i], Y[i]). Points whose value is NaN or infinite (or not positive on a
/// log axis) are left out and break the line there.
/// </summary>
/// <param name="Name">Shown in the legend and as the line's tooltip.</param>
/// <param name="X">The x values, as many as <paramref name="Y"/>.</param>
/// <param name="Y">The y values.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    /// <summary>A series over x = 1, 2, 3, … (epochs, iterations).</summary>
    public static Series Of(string name, IReadOnlyList<double> y) =>
        new(name, Enumerable.Range(1, y.Count).Select(i => (double)i).ToArray(), y);
}

/// <summary>One panel of a small-multiples chart (<see cref="SvgChart.Grid"/>).</summary>
/// <param name="Title">The panel's own title, e.g. "w = 0.1".</param>
/// <param name="Series">Its curves; curves with the same name get the same colour in every panel.</param>
public sealed record ChartPanel(string Title, IReadOnlyList<Series> Series);
