using System.Globalization;

namespace DeepGpu.Experiments;

/// <summary>
/// What a run's own curves show, in a sentence: computed from the numbers, never the book's expectation, so a run
/// that comes out differently says so.
/// </summary>
internal static class Conclusions
{
    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    /// <summary>How many final values a loss is averaged over: 5% of the run, as the summary lines use.</summary>
    public static int Tail(Curve c) => Math.Max(1, c.Y.Length / 20);

    /// <summary>
    /// The curves ranked by final loss (the mean of their last 5%), and any whose loss stayed near where it started.
    /// </summary>
    public static string Losses(IReadOnlyList<Curve> curves)
    {
        var ranked = curves.Select(c => (c.Name, Final: c.TailMean(Tail(c)), First: c.Y.Take(Tail(c)).Average())).OrderBy(c => c.Final).ToList();
        var text = string.Create(_invariant, $"lowest final loss: {ranked[0].Name} ({ranked[0].Final:G3})");
        if (ranked.Count > 1)
        {
            text += "; then " + string.Join(", ", ranked.Skip(1).Select(c => string.Create(_invariant,
                $"{c.Name} ({c.Final:G3}{(ranked[0].Final > 0 ? $", {c.Final / ranked[0].Final:0.#}x" : "")})")));
        }
        text += ".";
        // A loss that fell by less than a tenth over the run: the net did not learn.
        var stuck = ranked.Where(c => c.Final > 0.9 * c.First).Select(c => c.Name).ToList();
        if (stuck.Count > 0) text += $" {string.Join(" and ", stuck)} did not learn: {(stuck.Count == 1 ? "its loss" : "their losses")} stayed near the start.";
        return text;
    }

    /// <summary>
    /// Curves in pairs "GROUP, batch norm" and "GROUP, no batch norm": at how many groups batch norm ended higher,
    /// and by how much on average.
    /// </summary>
    public static string BatchNorm(IReadOnlyList<Curve> curves)
    {
        var pairs = curves.GroupBy(c => c.Group).Select(g => (
            With: g.Single(c => c.Name.EndsWith(", batch norm", StringComparison.Ordinal)).Last,
            Without: g.Single(c => c.Name.EndsWith(", no batch norm", StringComparison.Ordinal)).Last)).ToList();
        var higher = pairs.Count(p => p.With > p.Without);
        var lower = pairs.Count(p => p.With < p.Without);
        var mean = pairs.Average(p => p.With - p.Without) * 100;
        return string.Create(_invariant,
            $"with batch norm the final accuracy was higher at {higher} of {pairs.Count} weight scales and lower at {lower}; on average {mean:+0.0;-0.0;0.0} points.");
    }

    /// <summary>
    /// Curves in pairs "GROUP, train" and "GROUP, SET": the final gap between train and the other set per group,
    /// and which group's is smallest.
    /// </summary>
    public static string Overfit(IReadOnlyList<Curve> curves, string testSetName)
    {
        var gaps = curves.GroupBy(c => c.Group!).Select(g => (Name: g.Key,
            Gap: (g.Single(c => c.Name.EndsWith(", train", StringComparison.Ordinal)).Last - g.Single(c => !c.Name.EndsWith(", train", StringComparison.Ordinal)).Last) * 100))
            .ToList();
        var smallest = gaps.MinBy(g => g.Gap);
        return string.Create(_invariant,
            $"final gap between train and {testSetName} accuracy: {string.Join(", ", gaps.Select(g => string.Create(_invariant, $"{g.Name} {g.Gap:0.0} points")))}; smallest: {smallest.Name}.");
    }
}
