using System.CommandLine;
using System.Text.Json;
using DeepGpu.Imaging;
using DeepGpu.Models;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu predict: which digit each picture shows, with the three most likely classes.</summary>
internal sealed class PredictCommand : CliCommand
{
    private readonly Argument<string> _model;
    private readonly Argument<string[]> _files;
    private readonly Option<bool> _json = CliOptions.Flag("--json", "one JSON object per file: file, label, probability, top (or error)");
    private readonly Option<string?> _saveInput = CliOptions.Path("--save-input", "DIR", "write the 28x28 image the network saw for each file into DIR (as FILE.28x28.png)");
    private readonly Option<bool> _half = CliOptions.Flag("--half", "run with weights and activations rounded to 16-bit floats");
    private readonly Option<string> _backend = CliOptions.Backend();

    public PredictCommand() : base("predict", "say which digit each picture shows (PNG, JPEG, BMP, GIF, TIFF, WebP)")
    {
        const string missing = "Give a model file and at least one picture.";
        _model = Required(new Argument<string>("MODEL") { Description = "a model file saved by DeepGpu" }, missing);
        _files = Required(new Argument<string[]>("FILE") { Description = "the pictures", Arity = ArgumentArity.OneOrMore }, missing);
        foreach (var option in new Option[] { _json, _saveInput, _half, _backend }) Options.Add(option);
    }

    public override string Details => """
        Pictures are prepared as MNIST digits were: gray, digit bright on dark, cropped, scaled into 20x20 and
        centred by mass in 28x28. Exit code 2 if any file could not be read.
        example:
          deepgpu predict model.safetensors five.png my-digits/*.jpg

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var json = parse.GetValue(_json);
        var saveDir = parse.GetValue(_saveInput);
        if (saveDir is not null) Directory.CreateDirectory(saveDir);
        using var backend = BackendChoice.Create(parse.GetValue(_backend)!, terminal.Err);
        using var model = Model.Load(parse.GetValue(_model)!, backend);
        model.HalfPrecision = parse.GetValue(_half);
        var failed = 0;
        foreach (var file in parse.GetValue(_files)!)
        {
            try
            {
                var picture = DigitImage.Preprocess(file);
                var prediction = model.Predict(picture);
                // five.png and five.jpg must not overwrite each other's saved input.
                if (saveDir is not null) DigitImage.Save28(Path.Combine(saveDir, Path.GetFileName(file) + ".28x28.png"), picture.Pixels);
                terminal.Out.WriteLine(json ? JsonLine(file, prediction) : $"{file}: {prediction}");
            }
            catch (DeepGpuException e)
            {
                failed++;
                if (json) terminal.Out.WriteLine(JsonSerializer.Serialize(new { file, error = e.Message }));
                var sentence = e.Message.Contains(Path.GetFileName(file), StringComparison.Ordinal) ? e.Message : $"{file}: {e.Message}";
                terminal.Err.WriteLine($"deepgpu {Name}: {sentence}");
            }
        }
        return failed == 0 ? 0 : 2;
    }

    // A squared-error network's outputs are scores: they are named so, never passed off as probabilities.
    private static string JsonLine(string file, Prediction p) => p.IsProbability
        ? JsonSerializer.Serialize(new
        {
            file,
            label = p.Label,
            probability = p.Probability,
            top = p.Top.Select(t => new { label = t.Label, probability = t.Probability }),
        })
        : JsonSerializer.Serialize(new
        {
            file,
            label = p.Label,
            score = p.Probability,
            top = p.Top.Select(t => new { label = t.Label, score = t.Probability }),
        });
}
