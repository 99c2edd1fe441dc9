using System.Globalization;
using System.Text;
using DeepGpu.Backends.Cpu;
using DeepGpu.Imaging;
using DeepGpu.Models;
using DeepGpu.Tests.Cli;
using DeepGpu.Tests.TestSupport;
using DeepGpu.Training;
using Xunit.Abstractions;

namespace DeepGpu.Tests.DefaultModel;

/// <summary>The model that ships: how well it reads the official test set and paint-program digits, and its record.</summary>
public sealed class DefaultModelTests(ITestOutputHelper output)
{
    [OfficialTestSetFact]
    public void Reads_the_official_test_set_as_well_as_its_file_says()
    {
        using var backend = new CpuBackend();
        using var model = Model.LoadDefault(backend);
        var (_, accuracy) = model.Evaluate(TestMnist.LoadTestSet());
        output.WriteLine($"official test accuracy {accuracy:P2}");
        Assert.True(accuracy >= 0.985, $"official test accuracy {accuracy:P2}, below 98.5%");
        var recorded = double.Parse(model.Provenance["officialTestAccuracy"], CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(recorded - accuracy) < 0.0005, $"the file records {recorded:P2} but the model scores {accuracy:P2}");
    }

    [Fact]
    public void Reads_paint_program_digits()
    {
        var set = PaintDigits.Load();
        using var model = Model.LoadDefault();
        var predictions = model.Classify(set.AsParallel().AsOrdered().Select(p => DigitImage.Preprocess(p.Path).Pixels).ToList());
        var right = set.Select((p, i) => predictions[i].Label == p.Label).ToArray();
        var accuracy = right.Count(r => r) / (double)set.Count;
        output.WriteLine(PaintDigits.Table(set, right));
        Assert.True(accuracy >= 0.97, $"paint-style accuracy {accuracy:P2} ({right.Count(r => !r)} of {set.Count} missed), below 97%");
    }

    [Fact]
    public void Records_its_recipe_data_accuracy_and_date()
    {
        using var model = Model.LoadDefault();
        Assert.Contains("deepgpu train-default", model.Provenance["recipe"]);
        Assert.Contains("embedded MNIST sample", model.Provenance["trainingData"]);
        Assert.True(double.TryParse(model.Provenance["officialTestAccuracy"], CultureInfo.InvariantCulture, out var accuracy) && accuracy >= 0.985,
            $"recorded official test accuracy '{model.Provenance["officialTestAccuracy"]}'");
        Assert.True(DateTime.TryParse(model.Provenance["date"], CultureInfo.InvariantCulture, out _), $"date '{model.Provenance["date"]}'");
        Assert.Equal("deep-convnet", model.Spec.Name);
    }

    [Fact]
    public void The_recipe_still_runs()
    {
        using var dir = new TempDir();
        var path = dir.File("tiny.safetensors");
        var r = CliTests.Run("train-default", "--out", path, "--epochs", "2", "--images", "400");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("epoch 2/2", r.Out);
        using var model = Model.Load(path);
        Assert.Equal(2, model.History.Count);
        Assert.True(model.History[1].TrainLoss < model.History[0].TrainLoss, $"train loss {model.History[0].TrainLoss:F3} then {model.History[1].TrainLoss:F3}");
        Assert.Contains("deepgpu train-default --epochs 2 --seed 1 --images 400 --backend cpu", model.Provenance["recipe"]);
        Assert.Contains("first 400", model.Provenance["trainingData"]);
        Assert.Equal("not measured", model.Provenance["officialTestAccuracy"]);
    }

    [Fact]
    public void Predict_uses_the_default_model_unless_one_is_named()
    {
        var seven = PaintDigits.Load().First(p => p.Label == "7" && p.Source == "brush");
        var r = CliTests.Run("predict", seven.Path);
        Assert.True(r.Code == 0, r.Err);
        Assert.Matches(@": 7 \(\d+\.\d%\)", r.Out);

        using var dir = new TempDir();
        var path = dir.File("named.safetensors");
        using (var model = Model.LoadDefault()) model.Save(path);
        var named = CliTests.Run("predict", "--model", path, seven.Path);
        Assert.True(named.Code == 0, named.Err);
        Assert.Equal(r.Out, named.Out);
        var positional = CliTests.Run("predict", path, seven.Path);
        Assert.Equal(r.Out, positional.Out);

        var missing = CliTests.Run("predict", "--model", dir.File("absent.safetensors"), seven.Path);
        Assert.Equal(2, missing.Code);
        Assert.Contains("does not exist", missing.Err);
        var nothing = CliTests.Run("predict");
        Assert.Equal(2, nothing.Code);
        Assert.Contains("Give at least one picture", nothing.Err);
    }
}

/// <summary>
/// The paint-style test pictures (Engine.Tests/PaintDigits, made by tools/PaintDigits): never trained on, only read.
/// </summary>
internal static class PaintDigits
{
    public sealed record Picture(string Path, string Label, string Source, IReadOnlyDictionary<string, string> Styles);

    // The style columns of labels.csv, in the order the table shows them.
    public static readonly string[] StyleColumns = ["source", "size", "stroke", "slant", "position", "colours", "format"];

    public static string Folder => System.IO.Path.Combine(AppContext.BaseDirectory, "PaintDigits");

    public static List<Picture> Load()
    {
        var lines = File.ReadAllLines(System.IO.Path.Combine(Folder, "labels.csv"));
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(line =>
        {
            var cells = line.Split(',');
            var styles = header.Zip(cells).ToDictionary(c => c.First, c => c.Second);
            return new Picture(System.IO.Path.Combine(Folder, styles["file"]), styles["label"], styles["source"], styles);
        }).ToList();
    }

    /// <summary>Accuracy overall and per style, as README table rows.</summary>
    public static string Table(IReadOnlyList<Picture> set, IReadOnlyList<bool> right)
    {
        var text = new StringBuilder("| style | pictures | right |\n|---|---|---|\n");
        void Row(string name, IEnumerable<int> members)
        {
            var list = members.ToList();
            text.Append(CultureInfo.InvariantCulture, $"| {name} | {list.Count} | {list.Count(i => right[i]) * 100.0 / list.Count:F1}% |\n");
        }
        Row("all", Enumerable.Range(0, set.Count));
        foreach (var column in StyleColumns)
        {
            foreach (var value in set.Select(p => p.Styles[column]).Distinct().Order(StringComparer.Ordinal))
            {
                Row($"{column}: {value}", Enumerable.Range(0, set.Count).Where(i => set[i].Styles[column] == value));
            }
        }
        var misses = Enumerable.Range(0, set.Count).Where(i => !right[i]).Select(i => $"{System.IO.Path.GetFileName(set[i].Path)} ({set[i].Label}, {set[i].Styles["source"]} {set[i].Styles["font"]})");
        return text.Append("missed: ").AppendJoin(", ", misses).ToString();
    }
}
