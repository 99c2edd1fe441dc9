using DeepGpu.Backends.Cpu;
using DeepGpu.Data;
using DeepGpu.Imaging;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Tests.Cli;
using DeepGpu.Tests.Imaging;
using DeepGpu.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DeepGpu.Tests.Recognition;

/// <summary>A model trained on MNIST, once for the class, saved to a file.</summary>
public sealed class TrainedDigitModel : IDisposable
{
    public TrainedDigitModel()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("deepgpu-recognition").FullName;
        Path = System.IO.Path.Combine(Directory, "convnet.safetensors");
        var data = Mnist.LoadEmbeddedSample();
        using var backend = new CpuBackend();
        using var model = Model.Create(Networks.SimpleConvNet(), backend, seed: 1);
        using var adam = Optimizer.Adam();
        // Shifts and rotations make it robust to hand-drawn pictures that MNIST's own digits never vary that much.
        new Trainer(model, adam, new TrainerOptions { Epochs = 3, Augment = new Backends.AugmentOptions(2f, 10f, 0.1f) }).Fit(data.Train, data.Test);
        model.Save(Path);
        Validation = data.Test;
    }

    public string Directory { get; }
    public string Path { get; }
    public Dataset Validation { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>The project's seed: a digit drawn in a paint program, saved as a picture, recognised.</summary>
public sealed class PictureRecognitionTests(TrainedDigitModel trained) : IClassFixture<TrainedDigitModel>
{
    private string Save(Image<Rgba32> image, string name, string format)
    {
        var path = System.IO.Path.Combine(trained.Directory, $"{name}.{format}");
        using var stream = Codec.Encode(image, format);
        File.WriteAllBytes(path, stream.ToArray());
        return path;
    }

    /// <summary>A real MNIST digit blown up to a big dark-on-light picture, as if drawn in a paint program.</summary>
    private Image<Rgba32> BigPicture(int index, int scale, bool darkOnLight)
    {
        var pixels = trained.Validation.GetImage(index);
        var image = new Image<Rgba32>(28 * scale + 40, 28 * scale + 60);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                int sx = (x - 20) / scale, sy = (y - 30) / scale;
                var v = x >= 20 && y >= 30 && sx < 28 && sy < 28 ? pixels[sy * 28 + sx] : (byte)0;
                var g = darkOnLight ? (byte)(255 - v) : v;
                image[x, y] = new Rgba32(g, g, g, 255);
            }
        }
        return image;
    }

    [Theory]
    [InlineData("png", 10, true)]
    [InlineData("jpg", 7, true)]
    [InlineData("bmp", 4, false)]
    public void Real_digits_as_big_pictures_are_recognised(string format, int scale, bool darkOnLight)
    {
        using var model = Model.Load(trained.Path);
        var correct = 0;
        const int count = 40;
        for (var i = 0; i < count; i++)
        {
            using var image = BigPicture(i, scale, darkOnLight);
            var prediction = model.Predict(Save(image, $"digit{i}", format));
            if (prediction.Label == trained.Validation.Labels[i].ToString()) correct++;
        }
        Assert.True(correct >= count * 0.9, $"{correct} of {count} recognised");
    }

    [Theory]
    [InlineData("png", 400, 300, 12.0)]
    [InlineData("jpg", 1200, 900, 40.0)]
    [InlineData("bmp", 64, 64, 3.0)]
    public void Drawn_ones_and_sevens_are_recognised(string format, int width, int height, double stroke)
    {
        using var model = Model.Load(trained.Path);
        var one = new Canvas(width, height).One(width * 0.45, height * 0.15, height * 0.85, stroke);
        var seven = new Canvas(width, height).Seven(width * 0.3, height * 0.15, width * 0.7, height * 0.85, stroke);
        using var oneImage = one.ToImage(Canvas.Black, Canvas.White);
        using var sevenImage = seven.ToImage(Canvas.White, Canvas.Black);
        Assert.Equal("1", model.Predict(Save(oneImage, "one", format)).Label);
        Assert.Equal("7", model.Predict(Save(sevenImage, "seven", format)).Label);
    }

    [Fact]
    public void A_drawn_zero_is_recognised() 
    {
        using var model = Model.Load(trained.Path);
        var zero = new Canvas(300, 300).Ring(150, 150, 70, 110, 18);
        using var image = zero.ToImage(Canvas.Black, Canvas.White);
        var prediction = model.Predict(Save(image, "zero", "png"));
        Assert.Equal("0", prediction.Label);
        Assert.True(prediction.Probability > 0.5f, prediction.ToString());
    }

    [Fact]
    public void Predict_prints_the_top_three_and_json_and_keeps_going_past_bad_files()
    {
        using var image = BigPicture(0, 10, true);
        var good = Save(image, "first", "png");
        var bad = System.IO.Path.Combine(trained.Directory, "broken.png");
        File.WriteAllText(bad, "not a picture");
        var blank = Save(new Image<Rgba32>(50, 50, new Rgba32(255, 255, 255, 255)), "blank", "png");
        var saveDir = System.IO.Path.Combine(trained.Directory, "seen");

        var text = CliTests.Run("predict", trained.Path, good, bad, blank, "--save-input", saveDir);
        Assert.Equal(2, text.Code);
        Assert.Matches($@"first\.png: {trained.Validation.Labels[0]} \(\d+\.\d%\), \d \(\d+\.\d%\), \d \(\d+\.\d%\)", text.Out);
        Assert.Contains("blank.png: no digit found", text.Out);
        // Each file's error carries the command's prefix, as every other error does.
        Assert.Matches(@"(?m)^deepgpu predict: .*broken\.png", text.Err);
        Assert.DoesNotContain("   at ", text.Err);
        // Like every other command, predict picks its backend by --backend auto unless told, and says which.
        Assert.Contains("backend: ", text.Err);
        Assert.True(File.Exists(System.IO.Path.Combine(saveDir, "first.png.28x28.png")));

        var json = CliTests.Run("predict", trained.Path, good, blank, bad, "--json");
        var lines = json.Out.Trim().Split('\n').Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(trained.Validation.Labels[0].ToString(), lines[0].GetProperty("label").GetString());
        Assert.Equal(3, lines[0].GetProperty("top").GetArrayLength());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, lines[1].GetProperty("label").ValueKind);
        Assert.True(lines[2].TryGetProperty("error", out _));
    }

    [Fact]
    public void Half_precision_gives_nearly_the_same_probabilities()
    {
        using var model = Model.Load(trained.Path);
        var inputs = trained.Validation.Take(200).ToFloat(normalize: true);
        var full = model.Predict(inputs);
        model.HalfPrecision = true;
        var half = model.Predict(inputs);
        Assert.NotEqual(full, half);
        var largest = full.Zip(half).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(largest < 0.02, $"half precision moves a probability by {largest}");
        model.HalfPrecision = false;
        Assert.Equal(full, model.Predict(inputs));
    }

    [Fact]
    public void Eval_half_reports_the_accuracy_difference()
    {
        var r = CliTests.Run("eval", trained.Path, "--half", "--json", "--backend", "cpu");
        Assert.True(r.Code == 0, r.Err);
        var root = System.Text.Json.JsonDocument.Parse(r.Out).RootElement;
        Assert.True(root.GetProperty("halfPrecision").GetBoolean());
        var half = root.GetProperty("accuracy").GetDouble();
        var full = root.GetProperty("fullPrecisionAccuracy").GetDouble();
        Assert.True(full > 0.9 && Math.Abs(half - full) < 0.01, $"half {half}, full {full}");
        Assert.Contains("half precision: validation accuracy", r.Err);
    }
}
