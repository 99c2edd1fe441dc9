using System.Xml.Linq;
using DeepGpu.Reporting;

namespace DeepGpu.Tests.Reporting;

/// <summary>The SVG writers give well-formed documents with what a reader looks for: names, lines, ticks, cells.</summary>
public sealed class SvgChartTests
{
    private static readonly XNamespace _ns = "http://www.w3.org/2000/svg";

    private static XDocument Parse(string svg)
    {
        var doc = XDocument.Parse(svg);
        Assert.Equal(_ns + "svg", doc.Root!.Name);
        return doc;
    }

    private static List<XElement> SeriesPaths(XDocument doc) =>
        doc.Descendants(_ns + "path").Where(p => (string?)p.Attribute("class") == "series").ToList();

    private static List<string> Texts(XDocument doc) => doc.Descendants(_ns + "text").Select(t => t.Value).ToList();

    [Fact]
    public void Line_chart_is_well_formed_with_a_path_and_a_legend_entry_per_series()
    {
        var series = new[]
        {
            new Series("SGD", [1, 2, 3, 4], [2.3, 1.2, 0.8, 0.5]),
            new Series("Adam & <friends>", [1, 2, 3, 4], [2.3, 0.6, 0.3, 0.2]),
            Series.Of("AdaGrad", [2.0, 1.0, double.NaN, 0.4]),
        };
        var doc = Parse(SvgChart.Line("Optimizers \"compared\"", "iteration", "loss", series));
        var paths = SeriesPaths(doc);
        Assert.Equal(3, paths.Count);
        Assert.Equal(3, paths.Select(p => (string?)p.Attribute("stroke")).Distinct().Count());
        var texts = Texts(doc);
        foreach (var s in series) Assert.Contains(s.Name, texts);
        Assert.Contains("iteration", texts);
        Assert.Contains("loss", texts);
        Assert.Contains("Optimizers \"compared\"", texts);
        // The NaN breaks AdaGrad's line into two pieces.
        Assert.Equal(2, ((string)paths[2].Attribute("d")!).Count(c => c == 'M'));
        // Linear ticks are round numbers (y from 0.2 to 2.3 in steps of 0.2); whole x values get whole ticks.
        Assert.Contains("1.0", texts);
        Assert.Contains("2.4", texts);
        Assert.Contains("3", texts);
        Assert.DoesNotContain("1.5", texts);
    }

    [Fact]
    public void Log_axis_has_decade_ticks_and_leaves_out_values_that_are_not_positive()
    {
        var doc = Parse(SvgChart.Line("Loss", "epoch", "loss", [new Series("train", [1, 2, 3, 4], [0.0, 0.5, 0.02, 0.003])], logY: true));
        var texts = Texts(doc);
        Assert.Contains("0.001", texts);
        Assert.Contains("0.01", texts);
        Assert.Contains("0.1", texts);
        Assert.Contains("1", texts);
        var d = (string)SeriesPaths(doc).Single().Attribute("d")!;
        Assert.Equal(1, d.Count(c => c == 'M'));
        Assert.Equal(2, d.Count(c => c == 'L'));

        // On a log axis equal steps in the exponent are equal distances.
        var ys = d.Split(['M', 'L'], StringSplitOptions.RemoveEmptyEntries).Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(ys[0] < ys[1] && ys[1] < ys[2], $"y = {string.Join(", ", ys)}");
    }

    [Fact]
    public void Empty_and_constant_series_still_give_a_valid_chart()
    {
        Parse(SvgChart.Line("Nothing", "x", "y", []));
        var doc = Parse(SvgChart.Line("Flat", "x", "y", [new Series("one point", [1], [0.5])]));
        Assert.Single(SeriesPaths(doc));
        Assert.Throws<ArgumentException>(() => SvgChart.Line("Bad", "x", "y", [new Series("bad", [1, 2], [1])]));
    }

    [Fact]
    public void Grid_draws_every_panel_and_one_shared_legend_with_one_colour_per_name()
    {
        var panels = Enumerable.Range(0, 6).Select(i => new ChartPanel($"w = {i}",
            [new Series("batch norm", [1, 2, 3], [0.1 * i, 0.5, 0.9]), new Series("plain", [1, 2, 3], [0.1, 0.2, 0.3])])).ToList();
        var doc = Parse(SvgChart.Grid("Batch norm", "epoch", "accuracy", panels, columns: 3));
        Assert.Equal(6, doc.Descendants(_ns + "g").Count(g => (string?)g.Attribute("class") == "panel"));
        var paths = SeriesPaths(doc);
        Assert.Equal(12, paths.Count);
        Assert.Equal(2, paths.Select(p => (string?)p.Attribute("stroke")).Distinct().Count());
        var texts = Texts(doc);
        Assert.Equal(1, texts.Count(t => t == "batch norm"));
        Assert.Contains("w = 5", texts);
    }

    [Fact]
    public void Confusion_heat_map_has_a_cell_per_pair_and_shows_the_counts()
    {
        var matrix = new[,] { { 50, 2, 0 }, { 3, 40, 7 }, { 0, 1, 61 } };
        var doc = Parse(SvgHeatmap.Confusion(matrix, ["cat", "dog", "bird"]));
        var cells = doc.Descendants(_ns + "rect").Where(r => (string?)r.Attribute("class") == "cell").ToList();
        Assert.Equal(9, cells.Count);
        var texts = Texts(doc);
        foreach (var count in new[] { "50", "2", "3", "40", "7", "1", "61" }) Assert.Contains(count, texts);
        Assert.DoesNotContain("0", texts); // empty cells stay blank
        Assert.Contains("bird", texts);
        // Right answers and mistakes are told apart by colour.
        Assert.NotEqual((string?)cells[0].Attribute("fill"), (string?)cells[1].Attribute("fill"));
        Assert.Equal("#ffffff", (string?)cells[2].Attribute("fill"));
        Assert.Throws<ArgumentException>(() => SvgHeatmap.Confusion(matrix, ["a", "b"]));
    }

    [Fact]
    public void Image_grid_png_has_the_grid_size_and_the_svg_embeds_every_image_with_its_caption()
    {
        using var dir = new TestSupport.TempDir();
        var images = Enumerable.Range(0, 7).Select(i => Enumerable.Range(0, 12).Select(p => (p + i) / 20f).ToArray()).ToList();
        var path = dir.File("grid.png");
        var size = ImageGrid.Png(path, images, 4, 3, columns: 3, scale: 5, gap: 1);
        Assert.Equal((3 * 20 + 4, 3 * 15 + 4), size);
        using (var png = SixLabors.ImageSharp.Image.Load(path))
        {
            Assert.Equal(size, (png.Width, png.Height));
        }
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));

        var doc = Parse(ImageGrid.Svg(images, 4, 3, images.Select((_, i) => $"7 → {i}\n#{i}").ToList()));
        var embedded = doc.Descendants(_ns + "image").ToList();
        Assert.Equal(7, embedded.Count);
        Assert.All(embedded, e => Assert.StartsWith("data:image/png;base64,", (string)e.Attribute("href")!));
        Assert.Contains("7 → 6", Texts(doc));
    }

    [Fact]
    public void Filters_are_each_scaled_to_the_unit_range()
    {
        // Two 1-channel 2x2 filters with different ranges; the second is constant.
        var images = ImageGrid.Filters([-2f, 0f, 2f, 1f, 3f, 3f, 3f, 3f], 2, 1, 2, 2);
        Assert.Equal([0f, 0.5f, 1f, 0.75f], images[0]);
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f], images[1]);
        var channels = ImageGrid.Filters(new float[2 * 3 * 4], 2, 3, 2, 2, allChannels: true);
        Assert.Equal(6, channels.Count);
    }
}
