using System.CommandLine;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Reporting;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu filters: draws the first convolution layer's filters as a grid of images (book ch.7).</summary>
internal sealed class FiltersCommand : CliCommand
{
    private readonly Argument<string> _model;
    private readonly Option<string?> _out = CliOptions.Path("--out", "FILE", "the PNG to write (default: MODEL's name with .filters.png)");
    private readonly Option<int> _scale = CliOptions.PositiveInt("--scale", 8, "screen pixels per filter pixel");
    private readonly Option<int> _columns = CliOptions.PositiveInt("--columns", 8, "filters per row (8 as the book)");
    private readonly Option<int> _gap = CliOptions.PositiveInt("--gap", 2, "white pixels between filters");
    private readonly Option<bool> _allChannels = CliOptions.Flag("--all-channels", "every input channel of each filter, one filter per row (default: channel 0)");

    public FiltersCommand() : base("filters", "draw the first convolution layer's filters as a PNG grid (book ch.7)")
    {
        _model = Required(new Argument<string>("MODEL") { Description = "a model file saved by DeepGpu" }, "Give the model file whose filters to draw.");
        foreach (var option in new Option[] { _out, _scale, _columns, _gap, _allChannels }) Options.Add(option);
    }

    public override string Details => """
        Each filter is scaled to its own range: its smallest weight black, its largest white.
        example:
          deepgpu filters convnet.safetensors --out filters.png

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var scale = parse.GetValue(_scale);
        var columns = parse.GetValue(_columns);
        var gap = parse.GetValue(_gap);
        if (scale > 64) throw new UsageException($"--scale must be at most 64, not {scale}.");
        var modelPath = parse.GetValue(_model)!;
        var output = parse.GetValue(_out) ?? Path.ChangeExtension(modelPath, null) + ".filters.png";
        if (Directory.Exists(output)) throw new UsageException($"--out {output} is a folder; give a file name such as filters.png.");
        // The grid is a bitmap, written as PNG: a file named .svg or .jpg holding PNG bytes would mislead every viewer.
        if (!output.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"--out {output}: the filters are drawn as a PNG; give a file name ending in .png.");
        }
        if (!File.Exists(modelPath)) throw new DeepGpuException(Directory.Exists(modelPath) ? $"{modelPath} is a folder, not a model file." : $"{modelPath} does not exist.");

        using var model = Model.Load(modelPath);
        var layer = model.Network.Layers.OfType<ConvolutionLayer>().FirstOrDefault()
            ?? throw new DeepGpuException($"{Path.GetFileName(modelPath)} has no convolution layer, so it has no filters to draw.");
        var slot = model.Network.Parameters.First(s => s.Layer == layer.Name && s.Name == "W");
        var shape = slot.Shape.ToArray();
        var (f, c, kh, kw) = (shape[0], shape[1], shape[2], shape[3]);
        var allChannels = parse.GetValue(_allChannels);
        var weights = model.GetParameters().AsSpan(slot.Offset, slot.Length);
        var images = ImageGrid.Filters(weights, f, c, kh, kw, allChannels);
        var perRow = allChannels ? c : columns;
        var (width, height) = ImageGrid.Png(output, images, kw, kh, perRow, scale, gap, background: 1f);
        terminal.Out.WriteLine($"{slot.FullName}: {f} filters of {c}x{kh}x{kw}{(allChannels || c == 1 ? "" : " (channel 0)")} -> {output} ({width}x{height} pixels)");
        return 0;
    }
}
