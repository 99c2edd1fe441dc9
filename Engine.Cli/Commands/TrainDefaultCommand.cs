using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepGpu.Data;
using DeepGpu.Models;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu train-default: remakes the model that ships inside DeepGpu, by its fixed recipe.</summary>
internal sealed class TrainDefaultCommand : CliCommand
{
    private readonly Option<string?> _out = CliOptions.Path("--out", "FILE", "where to save the model (.safetensors); required");
    private readonly Option<string?> _officialTest = CliOptions.Path("--official-test", "DIR",
        "folder with the official MNIST t10k files: scored after each epoch, and the last score recorded in the model file (without it: \"not measured\")");
    private readonly Option<int> _epochs = CliOptions.PositiveInt("--epochs", new DefaultRecipe().Epochs, "epochs (fewer only to try the recipe out)");
    private readonly Option<ulong> _seed = CliOptions.Seed("seed for initial weights, distortions, shuffles and dropout");
    private readonly Option<int?> _images = CliOptions.OptionalPositiveInt("--images", "train on the first N sample images only (default: all 10,000; fewer only to try the recipe out)");
    private readonly Option<string> _backend = CliOptions.Backend("cpu");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "one JSON object per epoch instead of a line");

    public TrainDefaultCommand() : base("train-default", "remake the default model (the one predict uses without --model) by its fixed recipe")
    {
        foreach (var option in new Option[] { _out, _officialTest, _epochs, _seed, _images, _backend, _json }) Options.Add(option);
    }

    public override string Details => """
        The recipe: the book's DeepConvNet, Adam, batch 100, trained on all 10,000 images of the embedded MNIST
        sample, each epoch on a fresh copy distorted like hand drawing (elastic warp, slant, rotation, aspect,
        thicker and thinner strokes). Nothing else is trained on. The model file records the recipe, the
        training data, the official test accuracy and the date. The shipped model was made on the cpu backend.
        example:
          deepgpu train-default --out Engine/Models/Default/default.safetensors --official-test ~/mnist

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var output = parse.GetValue(_out) ?? throw new UsageException("Give --out FILE, where to save the model.");
        if (Directory.Exists(output)) throw new UsageException($"--out {output} is a directory; give a file name such as default.safetensors.");
        var json = parse.GetValue(_json);
        var recipe = new DefaultRecipe { Epochs = parse.GetValue(_epochs), Seed = parse.GetValue(_seed) };

        var sample = Mnist.LoadEmbeddedSample(validationSize: 1);
        var train = new Dataset([.. sample.Train.Images, .. sample.Test.Images], [.. sample.Train.Labels, .. sample.Test.Labels],
            sample.Train.SampleShape, Mnist.Classes, "embedded MNIST sample");
        var all = train.Count;
        var images = parse.GetValue(_images) ?? all;
        if (images > all) throw new UsageException($"--images must be at most {all}, the sample's size, not {images}.");
        train = train.Take(images);
        var testDir = parse.GetValue(_officialTest);
        var official = testDir is null ? null : ReadOfficialTest(testDir);
        // Without the official set, epochs are scored on the first 1000 sample images, which it trains on.
        var check = official ?? train.Take(Math.Min(1000, train.Count));
        var checkName = official is null ? "sample (trained on)" : "official test";

        using var backend = BackendChoice.Create(parse.GetValue(_backend)!, terminal.Err);
        terminal.Err.WriteLine($"recipe: {recipe.Describe()}");
        var clock = Stopwatch.StartNew();
        using var model = recipe.Train(backend, train, check, m => terminal.Out.WriteLine(json
            ? JsonSerializer.Serialize(m with { Epochs = recipe.Epochs }, CliJson.Options)
            : string.Create(CultureInfo.InvariantCulture, $"epoch {m.Epoch}/{recipe.Epochs}: train loss {m.TrainLoss:F4}, {checkName} accuracy {m.TestAccuracy * 100:F2}%, {m.Seconds:F1} s")));

        // The options that shape the model, without the paths, which are the maker's own.
        var command = string.Create(CultureInfo.InvariantCulture,
            $"deepgpu {Name} --epochs {recipe.Epochs} --seed {recipe.Seed}{(images < all ? $" --images {images}" : "")} --backend {backend.Name}");
        model.Provenance["recipe"] = $"{recipe.Describe()} (made with: {command})";
        model.Provenance["trainingData"] = $"embedded MNIST sample: the first {train.Count} MNIST training images (Engine/Data/Sample), distorted afresh each epoch; nothing else";
        model.Provenance["officialTestAccuracy"] = official is null ? "not measured" : model.History[^1].TestAccuracy.ToString("F4", CultureInfo.InvariantCulture);
        model.Provenance["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        model.Provenance["backend"] = backend.Name;
        model.Save(output);
        terminal.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"saved {output} after {clock.Elapsed.TotalSeconds:F0} s; official test accuracy: {model.Provenance["officialTestAccuracy"]}"));
        return 0;
    }

    private static Dataset ReadOfficialTest(string dir)
    {
        var images = Path.Combine(dir, Mnist.TestImagesFile + ".gz");
        var labels = Path.Combine(dir, Mnist.TestLabelsFile + ".gz");
        if (!File.Exists(images) || !File.Exists(labels))
        {
            throw new DeepGpuException($"--official-test {dir} must hold {Mnist.TestImagesFile}.gz and {Mnist.TestLabelsFile}.gz.");
        }
        return IdxReader.ReadDataset(images, labels, Mnist.Classes, "official MNIST test set");
    }
}
