using System.Text.Json;
using DeepGpu.Imaging;
using DeepGpu.Models;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu predict: which digit each picture shows, with the three most likely classes.</summary>
internal sealed class PredictCommand : ICommand
{
    public string Name => "predict";
    public string Summary => "say which digit each picture shows (PNG, JPEG, BMP, GIF, TIFF, WebP)";
    public string Usage => """
        usage: deepgpu predict MODEL FILE... [options]
          --json            one JSON object per file: file, label, probability, top (or error)
          --save-input DIR  write the 28x28 image the network saw for each file into DIR (as FILE.28x28.png)
          --half            run with weights and activations rounded to 16-bit floats
          --backend B       auto, cuda, opencl, ilgpu-cpu, cpu (default)
        Pictures are prepared as MNIST digits were: gray, digit bright on dark, cropped, scaled into 20x20 and
        centred by mass in 28x28. Exit code 2 if any file could not be read.
        example:
          deepgpu predict model.safetensors five.png my-digits/*.jpg

        """;

    public int Run(IReadOnlyList<string> args, Console2 console)
    {
        var a = new Arguments(args, new HashSet<string> { "save-input", "backend" }, new HashSet<string> { "json", "half" });
        if (a.Positionals.Count < 2) throw new UsageException("Give a model file and at least one picture.");
        var json = a.Flag("json");
        var saveDir = a.Value("save-input");
        if (saveDir is not null) Directory.CreateDirectory(saveDir);
        using var backend = TrainCommand.CreateBackend(a.Choice("backend", "cpu", TrainCommand.BackendNames), console.Err);
        using var model = Model.Load(a.Positionals[0], backend);
        model.HalfPrecision = a.Flag("half");
        var failed = 0;
        foreach (var file in a.Positionals.Skip(1))
        {
            try
            {
                var picture = DigitImage.Preprocess(file);
                var prediction = model.Predict(picture);
                // five.png and five.jpg must not overwrite each other's saved input.
                if (saveDir is not null) DigitImage.Save28(Path.Combine(saveDir, Path.GetFileName(file) + ".28x28.png"), picture.Pixels);
                console.Out.WriteLine(json ? JsonLine(file, prediction) : $"{file}: {prediction}");
            }
            catch (DeepGpuException e)
            {
                failed++;
                if (json) console.Out.WriteLine(JsonSerializer.Serialize(new { file, error = e.Message }));
                console.Err.WriteLine(e.Message.Contains(Path.GetFileName(file), StringComparison.Ordinal) ? e.Message : $"{file}: {e.Message}");
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
