using System.CommandLine;
using System.Text.Json;
using DeepGpu.Imaging;
using DeepGpu.Models;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu predict: which digit each picture shows, with the three most likely classes.</summary>
internal sealed class PredictCommand : CliCommand
{
    private readonly Argument<string[]> _files;
    private readonly Option<string?> _model = CliOptions.Path("--model", "M",
        "the model file to use (default: the model that ships inside deepgpu); a first argument ending in .safetensors is taken as the model too");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "one JSON object per file: file, label, probability, top (or error)");
    private readonly Option<string?> _saveInput = CliOptions.Path("--save-input", "DIR", "write the 28x28 image the network saw for each file into DIR (as FILE.28x28.png)");
    private readonly Option<bool> _half = CliOptions.Flag("--half", "run with weights and activations rounded to 16-bit floats");
    private readonly Option<string> _backend = CliOptions.Backend();

    public PredictCommand() : base("predict", "say which digit each picture shows (PNG, JPEG, BMP, GIF, TIFF, WebP)")
    {
        _files = Required(new Argument<string[]>("FILE") { Description = "the pictures", Arity = ArgumentArity.OneOrMore }, "Give at least one picture.");
        foreach (var option in new Option[] { _model, _json, _saveInput, _half, _backend }) Options.Add(option);
    }

    public override string Details => """
        Pictures are prepared as MNIST digits were: gray, digit bright on dark, cropped, scaled into 20x20 and
        centred by mass in 28x28. Exit code 2 if any file could not be read.
        Without --model, the model that ships inside deepgpu reads the pictures.
        examples:
          deepgpu predict five.png
          deepgpu predict --model model.safetensors five.png my-digits/*.jpg

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var modelPath = parse.GetValue(_model);
        var files = parse.GetValue(_files)!.ToList();
        // The older form, predict MODEL FILE...: a first argument that can only be a model.
        if (modelPath is null && files.Count > 1 && files[0].EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            modelPath = files[0];
            files.RemoveAt(0);
        }
        var json = parse.GetValue(_json);
        var saveDir = parse.GetValue(_saveInput);
        if (saveDir is not null) Directory.CreateDirectory(saveDir);
        using var backend = BackendChoice.Create(parse.GetValue(_backend)!, terminal.Err);
        using var model = modelPath is null ? Model.LoadDefault(backend) : Model.Load(modelPath, backend);
        model.HalfPrecision = parse.GetValue(_half);
        var failed = 0;
        foreach (var file in files)
        {
            try
            {
                var picture = DigitImage.Preprocess(file);
                var prediction = model.Predict(picture);
                // five.png and five.jpg must not overwrite each other's saved input.
                if (saveDir is not null) DigitImage.Save28(Path.Combine(saveDir, Path.GetFileName(file) + ".28x28.png"), picture.Pixels);
                terminal.Out.WriteLine(json ? PredictionJson.Line(file, prediction) : $"{file}: {prediction}");
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
}
