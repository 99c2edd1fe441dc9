using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Reporting;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu filters: draws the first convolution layer's filters as a grid of images (book ch.7).</summary>
internal sealed class FiltersCommand : ICommand
{
    public string Name => "filters";
    public string Summary => "draw the first convolution layer's filters as a PNG grid (book ch.7)";
    public string Usage => """
        usage: deepgpu filters MODEL [options]
          --out FILE        the PNG to write (default: MODEL's name with .filters.png)
          --scale N         screen pixels per filter pixel (default 8)
          --columns N       filters per row (default 8, as the book)
          --gap N           white pixels between filters (default 2)
          --all-channels    every input channel of each filter, one filter per row (default: channel 0)
        Each filter is scaled to its own range: its smallest weight black, its largest white.
        example:
          deepgpu filters convnet.safetensors --out filters.png

        """;

    public int Run(IReadOnlyList<string> args, Console2 console)
    {
        var a = new Arguments(args, new HashSet<string> { "out", "scale", "columns", "gap" }, new HashSet<string> { "all-channels" });
        if (a.Positionals.Count == 0) throw new UsageException("Give the model file whose filters to draw.");
        if (a.Positionals.Count > 1) throw new UsageException($"Unexpected argument '{a.Positionals[1]}'.");
        var scale = a.PositiveInt("scale", 8);
        var columns = a.PositiveInt("columns", 8);
        var gap = a.PositiveInt("gap", 2);
        if (scale > 64) throw new UsageException($"--scale must be at most 64, not {scale}.");
        var modelPath = a.Positionals[0];
        var output = a.Value("out") ?? Path.ChangeExtension(modelPath, null) + ".filters.png";
        if (Directory.Exists(output)) throw new UsageException($"--out {output} is a folder; give a file name such as filters.png.");
        if (!File.Exists(modelPath)) throw new DeepGpuException(Directory.Exists(modelPath) ? $"{modelPath} is a folder, not a model file." : $"{modelPath} does not exist.");

        using var model = Model.Load(modelPath);
        var layer = model.Network.Layers.OfType<ConvolutionLayer>().FirstOrDefault()
            ?? throw new DeepGpuException($"{Path.GetFileName(modelPath)} has no convolution layer, so it has no filters to draw.");
        var slot = model.Network.Parameters.First(s => s.Layer == layer.Name && s.Name == "W");
        var shape = slot.Shape.ToArray();
        var (f, c, kh, kw) = (shape[0], shape[1], shape[2], shape[3]);
        var allChannels = a.Flag("all-channels");
        var weights = model.GetParameters().AsSpan(slot.Offset, slot.Length);
        var images = ImageGrid.Filters(weights, f, c, kh, kw, allChannels);
        var perRow = allChannels ? c : columns;
        var (width, height) = ImageGrid.Png(output, images, kw, kh, perRow, scale, gap, background: 1f);
        console.Out.WriteLine($"{slot.FullName}: {f} filters of {c}x{kh}x{kw}{(allChannels || c == 1 ? "" : " (channel 0)")} -> {output} ({width}x{height} pixels)");
        return 0;
    }
}
