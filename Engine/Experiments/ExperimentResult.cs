using DeepGpu.IO;
using System.Globalization;
using System.Text;

namespace DeepGpu.Experiments;

/// <summary>One line of an experiment's chart: a name and its points.</summary>
/// <param name="Name">Unique within its result, such as "adam" or "std 0.01, batch norm".</param>
/// <param name="X">Iterations or epochs.</param>
/// <param name="Y">Loss or accuracy at each x.</param>
/// <param name="Group">The panel or family the curve belongs to (the batch-norm grid's weight scale, a smoothed
/// copy of a raw curve); null when the chart has one panel.</param>
public sealed record Curve(string Name, double[] X, double[] Y, string? Group = null)
{
    /// <summary>The last value.</summary>
    public double Last => Y.Length == 0 ? double.NaN : Y[^1];

    /// <summary>The mean of the last <paramref name="count"/> values (all of them when there are fewer).</summary>
    public double TailMean(int count)
    {
        if (Y.Length == 0) return double.NaN;
        var n = Math.Clamp(count, 1, Y.Length);
        double sum = 0;
        for (var i = Y.Length - n; i < Y.Length; i++) sum += Y[i];
        return sum / n;
    }
}

/// <summary>
/// The data of one of the book's comparisons: the curves of its chart, the axis labels, and what this run's
/// numbers show. Pictures are drawn from this elsewhere.
/// </summary>
public sealed class ExperimentResult
{
    /// <summary>Makes a result; curve names must be unique and each curve's X and Y the same length.</summary>
    public ExperimentResult(string name, string title, string xLabel, string yLabel, IReadOnlyList<Curve> curves, string conclusion)
    {
        ArgumentNullException.ThrowIfNull(curves);
        foreach (var c in curves)
        {
            if (c.X.Length != c.Y.Length) throw new ArgumentException($"Curve {c.Name} has {c.X.Length} x values but {c.Y.Length} y values.", nameof(curves));
        }
        var duplicate = curves.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two curves are named {duplicate.Key}.", nameof(curves));
        Name = name;
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
        Curves = curves;
        Conclusion = conclusion;
    }

    /// <summary>Short name, also the CSV file's name: optimizers, init, batchnorm, overfit.</summary>
    public string Name { get; }

    /// <summary>A title for the chart.</summary>
    public string Title { get; }

    public string XLabel { get; }
    public string YLabel { get; }
    public IReadOnlyList<Curve> Curves { get; }

    /// <summary>What this run's curves show, in a sentence or two, computed from their numbers (not the book's expectation).</summary>
    public string Conclusion { get; }

    /// <summary>Things a reader of the curves should know, such as a run whose loss overflowed; empty when none.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The curve with this name.</summary>
    /// <exception cref="KeyNotFoundException">No curve has that name.</exception>
    public Curve this[string curve] => Curves.FirstOrDefault(c => c.Name == curve) ?? throw new KeyNotFoundException($"The {Name} result has no curve named {curve}.");

    /// <summary>The CSV text in long format: a header <c>curve,x,y</c> then one row per point, invariant culture.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder("curve,x,y\n");
        foreach (var c in Curves)
        {
            var name = Quote(c.Name);
            for (var i = 0; i < c.X.Length; i++)
            {
                text.Append(name).Append(',')
                    .Append(c.X[i].ToString("R", CultureInfo.InvariantCulture)).Append(',')
                    .Append(c.Y[i].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/> through a temporary file and a rename, so no half file is left.</summary>
    /// <exception cref="DeepGpuException">The file cannot be written.</exception>
    public void WriteCsv(string path) => AtomicFile.WriteText(path, ToCsv(), createDirectory: true);

    public override string ToString() => $"{Name}: {Title} ({Curves.Count} curves)";

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

}
