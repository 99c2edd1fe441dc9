using DeepGpu.IO;
using System.Globalization;
using System.Net;
using System.Text;
using DeepGpu.Data;
using DeepGpu.Models;
using DeepGpu.Training;

namespace DeepGpu.Reporting;

/// <summary>What an evaluation report says about where its numbers came from.</summary>
/// <param name="ModelName">The model, e.g. its file name.</param>
/// <param name="DataDescription">Where the data came from.</param>
/// <param name="SetName">"test", or "validation" when the test part was held out of the training files.</param>
public sealed record ReportInfo(string ModelName, string DataDescription, string SetName = "test");

/// <summary>
/// Writes an evaluation as a small static web page: index.html beside SVG and PNG files, needing no network.
/// It shows the training curves (from the model's history), the confusion matrix as a heat map, precision and
/// recall per class, and the first misclassified samples with their true and predicted labels.
/// </summary>
public static class EvaluationReport
{
    /// <summary>The most misclassified samples shown.</summary>
    public const int MaxMistakes = 100;

    /// <summary>
    /// Writes the report into <paramref name="directory"/> (created if needed; files of the same names are
    /// replaced, each written to a temporary name and renamed) and returns the path of its index.html.
    /// </summary>
    /// <param name="directory">Where the files go.</param>
    /// <param name="evaluation">The scores, from <see cref="Evaluation.Run"/> on <paramref name="data"/>.</param>
    /// <param name="data">The data set scored, for the pictures of the mistakes.</param>
    /// <param name="history">The model's training history (may be empty).</param>
    /// <param name="info">Names for the page.</param>
    /// <exception cref="DeepGpuException">The folder or a file cannot be written.</exception>
    public static string Write(string directory, Evaluation evaluation, Dataset data, IReadOnlyList<EpochMetrics> history, ReportInfo info)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(info);
        if (File.Exists(directory)) throw new DeepGpuException($"Cannot write the report into {directory}: it is a file, not a folder.");
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new DeepGpuException($"Cannot create the report folder {directory}: {(ex is UnauthorizedAccessException ? "permission denied" : ex.Message.TrimEnd('.'))}.", ex);
        }
        string Out(string name) => Path.Combine(directory, name);
        var set = info.SetName;

        var hasHistory = history.Count > 0;
        if (hasHistory)
        {
            var epochs = history.Select(h => (double)h.Epoch).ToArray();
            AtomicFile.WriteText(Out("loss.svg"), SvgChart.Line("Loss per epoch", "epoch", "loss (cross-entropy)",
            [
                new Series("train", epochs, history.Select(h => h.TrainLoss).ToArray()),
                new Series(set, epochs, history.Select(h => h.TestLoss).ToArray()),
            ]));
            AtomicFile.WriteText(Out("accuracy.svg"), SvgChart.Line("Accuracy per epoch", "epoch", "accuracy (%)",
            [
                new Series("train", epochs, history.Select(h => 100 * h.TrainAccuracy).ToArray()),
                new Series(set, epochs, history.Select(h => 100 * h.TestAccuracy).ToArray()),
            ]));
        }
        AtomicFile.WriteText(Out("confusion.svg"), SvgHeatmap.Confusion(evaluation.Confusion, evaluation.Labels, $"Confusion matrix ({set} set)"));

        var (imageW, imageH) = ImageSize(data);
        var shown = evaluation.Misclassified.Take(MaxMistakes).ToList();
        var hasPictures = imageW > 0 && shown.Count > 0;
        if (hasPictures)
        {
            var pictures = shown.Select(m => Pixels(data, m.Index, imageW * imageH)).ToList();
            var captions = shown.Select(m =>
                $"{evaluation.Labels[m.TrueClass]} → {evaluation.Labels[m.PredictedClass]}\n#{m.Index} · {m.Probability.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal)}").ToList();
            AtomicFile.WriteText(Out("misclassified.svg"), ImageGrid.Svg(pictures, imageW, imageH, captions, columns: 10, scale: 3));
            ImageGrid.Png(Out("misclassified.png"), pictures, imageW, imageH, columns: 10, scale: 2, gap: 2, background: 0.35f);
        }

        var html = Page(evaluation, info, hasHistory, history, hasPictures, shown.Count);
        var index = Out("index.html");
        AtomicFile.WriteText(index, html);
        return index;
    }

    private static (int W, int H) ImageSize(Dataset data)
    {
        var s = data.SampleShape.ToArray();
        if (s.Length == 3 && s[0] == 1) return (s[2], s[1]);
        if (s.Length == 2) return (s[1], s[0]);
        return data.SampleShape.Size == 784 ? (28, 28) : (0, 0);
    }

    private static float[] Pixels(Dataset data, int index, int size)
    {
        var bytes = data.GetImage(index);
        var values = new float[size];
        for (var i = 0; i < size; i++) values[i] = bytes[i] / 255f;
        return values;
    }

    private static string H(string text) => WebUtility.HtmlEncode(text);

    private static string Pct(double v) => (100 * v).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Page(Evaluation e, ReportInfo info, bool hasHistory, IReadOnlyList<EpochMetrics> history, bool hasPictures, int shown)
    {
        var set = info.SetName;
        var sb = new StringBuilder();
        sb.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{H(info.ModelName)}}: evaluation</title>
            <style>
            :root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --blue: #2563eb; --red: #dc2626; --bg: #f6f7f9; }
            * { box-sizing: border-box; }
            body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
            main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 48px; }
            h1 { font-size: 26px; margin: 0 0 2px; }
            h2 { font-size: 18px; margin: 0 0 12px; }
            .sub { color: var(--muted); margin: 0 0 22px; }
            .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 14px; margin-bottom: 22px; }
            .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; }
            .card .k { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
            .card .v { font-size: 30px; font-weight: 650; font-variant-numeric: tabular-nums; }
            .card .v.good { color: var(--blue); }
            .card .v.bad { color: var(--red); }
            section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin-bottom: 22px; }
            .row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
            .row > * { flex: 1 1 460px; min-width: 0; }
            img { max-width: 100%; height: auto; display: block; }
            .note { color: var(--muted); font-size: 14px; margin: 6px 0 0; }
            table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
            th, td { padding: 5px 10px; text-align: right; border-bottom: 1px solid var(--line); }
            th { color: var(--muted); font-weight: 600; font-size: 13px; }
            th:first-child, td:first-child { text-align: center; font-weight: 650; }
            th.pair { text-align: left; padding-left: 40px; }
            td.bar { width: 34%; }
            .meter { position: relative; height: 10px; background: #eef2f7; border-radius: 5px; overflow: hidden; }
            .meter span { position: absolute; inset: 0 auto 0 0; background: var(--blue); border-radius: 5px; }
            .meter.r span { background: #0d9488; }
            footer { color: var(--muted); font-size: 13px; text-align: center; }
            </style>
            </head>
            <body>
            <main>
            <h1>{{H(info.ModelName)}}</h1>
            <p class="sub">Scored on {{e.Count.ToString("N0", CultureInfo.InvariantCulture)}} {{H(set)}} samples · {{H(info.DataDescription)}}</p>
            <div class="cards">
              <div class="card"><div class="k">{{H(set)}} accuracy</div><div class="v good">{{Pct(e.Accuracy)}}</div></div>
              <div class="card"><div class="k">loss</div><div class="v">{{e.Loss.ToString("0.0000", CultureInfo.InvariantCulture)}}</div></div>
              <div class="card"><div class="k">mistakes</div><div class="v bad">{{e.Misclassified.Count.ToString("N0", CultureInfo.InvariantCulture)}}</div></div>
              <div class="card"><div class="k">epochs trained</div><div class="v">{{history.Count}}</div></div>
            </div>

            """);
        sb.Append("<section>\n<h2>Training</h2>\n");
        if (hasHistory)
        {
            sb.Append("<div class=\"row\"><img src=\"loss.svg\" alt=\"loss per epoch\"><img src=\"accuracy.svg\" alt=\"accuracy per epoch\"></div>\n");
            var last = history[^1];
            sb.Append($"<p class=\"note\">After epoch {last.Epoch}: train accuracy {Pct(last.TrainAccuracy)}, {H(set)} accuracy {Pct(last.TestAccuracy)}.</p>\n");
        }
        else
        {
            sb.Append("<p class=\"note\">This model has no training history (it was saved without one), so there are no training curves.</p>\n");
        }
        sb.Append("</section>\n");

        sb.Append("<div class=\"row\">\n<section>\n<h2>Confusion matrix</h2>\n<img src=\"confusion.svg\" alt=\"confusion matrix\">\n");
        sb.Append("<p class=\"note\">Rows are the true classes, columns the predicted ones; blue cells are right, red cells are mistakes, shaded by their share of the row.</p>\n</section>\n");
        sb.Append("<section>\n<h2>Per class</h2>\n<table>\n<thead><tr><th>class</th><th>samples</th><th colspan=\"2\" class=\"pair\">precision</th><th colspan=\"2\" class=\"pair\">recall</th></tr></thead>\n<tbody>\n");
        foreach (var c in e.PerClass)
        {
            sb.Append($"<tr><td>{H(c.Label)}</td><td>{c.Support.ToString("N0", CultureInfo.InvariantCulture)}</td>");
            sb.Append($"<td>{Pct(c.Precision)}</td><td class=\"bar\"><div class=\"meter\"><span style=\"width:{(100 * c.Precision).ToString("0.#", CultureInfo.InvariantCulture)}%\"></span></div></td>");
            sb.Append($"<td>{Pct(c.Recall)}</td><td class=\"bar\"><div class=\"meter r\"><span style=\"width:{(100 * c.Recall).ToString("0.#", CultureInfo.InvariantCulture)}%\"></span></div></td></tr>\n");
        }
        sb.Append("</tbody>\n</table>\n<p class=\"note\">Precision: of the samples predicted as the class, the share that are it. Recall: of the samples of the class, the share found.</p>\n</section>\n</div>\n");

        sb.Append("<section>\n<h2>Misclassified</h2>\n");
        if (hasPictures)
        {
            var which = e.Misclassified.Count > shown ? $"The first {shown} of {e.Misclassified.Count}" : $"All {shown}";
            sb.Append($"<p class=\"note\">{which} {H(set)} samples the model got wrong, as true → predicted label, with the sample's index and the probability the model gave its answer.</p>\n");
            sb.Append("<img src=\"misclassified.svg\" alt=\"misclassified samples\">\n");
        }
        else
        {
            sb.Append(e.Misclassified.Count == 0
                ? $"<p class=\"note\">None: every {H(set)} sample was classified right.</p>\n"
                : "<p class=\"note\">The samples are not images, so they are not shown.</p>\n");
        }
        sb.Append("</section>\n");
        sb.Append($"<footer>DeepGpu evaluation report · {H(info.ModelName)} · {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC</footer>\n</main>\n</body>\n</html>\n");
        return sb.ToString();
    }
}
