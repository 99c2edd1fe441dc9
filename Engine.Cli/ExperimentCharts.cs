using DeepGpu.Experiments;

namespace DeepGpu.Cli;

/// <summary>
/// The hook for drawing an experiment's chart. <c>deepgpu experiment</c> calls <see cref="Write"/> after writing
/// the CSV; the SVG chart library plugs in here.
/// </summary>
internal static class ExperimentCharts
{
    /// <summary>
    /// THE PLACE FOR THE CHART: draws <paramref name="result"/> (its title, axis labels and curves; curves with the
    /// same <see cref="Curve.Group"/> belong to one panel, e.g. the batch-norm grid's 4x4 panels, or are the
    /// smoothed copies of the loss curves) into <paramref name="dir"/>/&lt;result.Name&gt;.svg and returns the path.
    /// For now it draws nothing and returns null.
    /// </summary>
    public static string? Write(ExperimentResult result, string dir)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(dir);
        return null;
    }
}
