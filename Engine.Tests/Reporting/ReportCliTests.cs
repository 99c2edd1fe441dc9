using System.Text.Json;
using System.Text.RegularExpressions;
using DeepGpu.Backends.Cpu;
using DeepGpu.Data;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Tests.Cli;
using DeepGpu.Tests.TestSupport;
using DeepGpu.Training;

namespace DeepGpu.Tests.Reporting;

/// <summary>deepgpu eval and deepgpu filters as a user runs them, on a small model trained here.</summary>
public sealed partial class ReportCliTests : IClassFixture<ReportCliTests.TrainedModel>
{
    /// <summary>A two-layer net trained for one epoch on the embedded sample, and an untrained SimpleConvNet.</summary>
    public sealed class TrainedModel : IDisposable
    {
        public TrainedModel()
        {
            var data = Mnist.LoadEmbeddedSample();
            using var backend = new CpuBackend();
            using (var model = Model.Create(Networks.TwoLayer(), backend, seed: 1))
            using (var sgd = Optimizer.Sgd(0.1f))
            {
                new Trainer(model, sgd, new TrainerOptions { Epochs = 1 }).Fit(data.Train, data.Test);
                model.Save(TwoLayer);
            }
            using (var model = Model.Create(Networks.SimpleConvNet(), backend, seed: 1))
            {
                model.Save(ConvNet);
            }
        }

        public TempDir Dir { get; } = new();
        public string TwoLayer => Dir.File("two-layer.safetensors");
        public string ConvNet => Dir.File("convnet.safetensors");

        public void Dispose() => Dir.Dispose();
    }

    private readonly TrainedModel _m;

    public ReportCliTests(TrainedModel m) => _m = m;

    private static (int Code, string Out, string Err) Run(params string[] args) => CliTests.Run(args);

    private static void AssertOneSentenceError((int Code, string Out, string Err) r, string expected)
    {
        Assert.Equal(2, r.Code);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("Exception", r.Err);
    }

    [Fact]
    public void Eval_prints_accuracy_per_class_table_and_confusion_matrix()
    {
        var r = Run("eval", _m.TwoLayer, "--backend", "cpu");
        Assert.True(r.Code == 0, r.Err);
        Assert.Matches(@"(validation|test) accuracy \d+\.\d\d %", r.Out);
        Assert.Contains("precision", r.Out);
        Assert.Contains("recall", r.Out);
        Assert.Contains("confusion matrix", r.Out);
    }

    [Fact]
    public void Eval_json_is_one_object_with_consistent_numbers()
    {
        var r = Run("eval", _m.TwoLayer, "--backend", "cpu", "--json");
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        var accuracy = root.GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, 0.6, 1.0);
        var loss = root.GetProperty("loss").GetDouble();
        Assert.True(loss > 0, $"loss {loss}");
        var perClass = root.GetProperty("perClass").EnumerateArray().ToList();
        Assert.Equal(10, perClass.Count);
        Assert.Equal("0", perClass[0].GetProperty("label").GetString());
        Assert.InRange(perClass[3].GetProperty("precision").GetDouble(), 0, 1);
        Assert.InRange(perClass[3].GetProperty("recall").GetDouble(), 0, 1);
        var confusion = root.GetProperty("confusion").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        Assert.Equal(10, confusion.Length);
        var total = confusion.Sum(row => row.Sum());
        var diagonal = Enumerable.Range(0, 10).Sum(i => confusion[i][i]);
        Assert.Equal(root.GetProperty("count").GetInt32(), total);
        Assert.Equal(accuracy, (double)diagonal / total, 12);
    }

    [Fact]
    public void Eval_report_is_a_self_contained_page_whose_files_exist()
    {
        var dir = Path.Combine(_m.Dir.Path, "report");
        var r = Run("eval", _m.TwoLayer, "--backend", "cpu", "--report", dir);
        Assert.True(r.Code == 0, r.Err);
        var index = Path.Combine(dir, "index.html");
        Assert.True(File.Exists(index));
        var html = File.ReadAllText(index);
        Assert.DoesNotMatch("https?://", html);
        var referenced = SourceRegex().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("loss.svg", referenced);
        Assert.Contains("accuracy.svg", referenced);
        Assert.Contains("confusion.svg", referenced);
        Assert.Contains("misclassified.svg", referenced);
        Assert.All(referenced, f => Assert.True(File.Exists(Path.Combine(dir, f)), $"{f} is referenced but missing"));
        foreach (var svg in Directory.GetFiles(dir, "*.svg"))
        {
            var text = File.ReadAllText(svg);
            System.Xml.Linq.XDocument.Parse(text);
            // Only the SVG namespace names may look like URLs; nothing is fetched.
            Assert.DoesNotMatch("(href|src)=\"https?://", text);
        }
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void Eval_report_says_when_there_is_no_history()
    {
        var dir = Path.Combine(_m.Dir.Path, "report-untrained");
        var r = Run("eval", _m.ConvNet, "--backend", "cpu", "--report", dir, "--json", "--batch", "1000");
        Assert.True(r.Code == 0, r.Err);
        var html = File.ReadAllText(Path.Combine(dir, "index.html"));
        Assert.Contains("no training history", html);
        Assert.False(File.Exists(Path.Combine(dir, "loss.svg")));
    }

    [Fact]
    public void Filters_writes_a_png_of_the_expected_size()
    {
        var output = Path.Combine(_m.Dir.Path, "filters.png");
        var r = Run("filters", _m.ConvNet, "--out", output, "--gap", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("convolution1.W", r.Out);
        using var png = SixLabors.ImageSharp.Image.Load(output);
        // 30 filters of 5x5 at 8x, 8 per row (4 rows), 1-pixel gaps between and around.
        Assert.Equal(8 * 40 + 9, png.Width);
        Assert.Equal(4 * 40 + 5, png.Height);
    }

    [Theory]
    [InlineData("filters.svg")]
    [InlineData("filters.jpg")]
    public void Filters_refuses_a_file_name_that_is_not_png(string name)
    {
        var output = Path.Combine(_m.Dir.Path, name);
        var r = Run("filters", _m.ConvNet, "--out", output);
        AssertOneSentenceError(r, $"--out {output}: the filters are drawn as a PNG; give a file name ending in .png.");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Filters_of_a_model_without_convolution_is_one_sentence_and_exit_2()
    {
        var r = Run("filters", _m.TwoLayer, "--out", Path.Combine(_m.Dir.Path, "none.png"));
        AssertOneSentenceError(r, "has no convolution layer");
        Assert.False(File.Exists(Path.Combine(_m.Dir.Path, "none.png")));
    }

    [Theory]
    [InlineData("eval", "does not exist")]
    [InlineData("filters", "does not exist")]
    public void A_missing_model_file_is_one_sentence_and_exit_2(string command, string expected) =>
        AssertOneSentenceError(Run(command, "/nonexistent/model.safetensors"), expected);

    [Fact]
    public void Usage_errors_exit_2()
    {
        AssertOneSentenceError(Run("eval"), "Give the model file");
        AssertOneSentenceError(Run("filters"), "Give the model file");
        AssertOneSentenceError(Run("eval", _m.TwoLayer, "--report"), "--report needs a value");
        AssertOneSentenceError(Run("eval", _m.TwoLayer, "--backend", "tpu"), "--backend must be one of");
        AssertOneSentenceError(Run("eval", _m.TwoLayer, "--report", _m.TwoLayer), "is a file");
    }

    [Fact]
    public void A_file_that_is_not_a_model_is_one_sentence_and_exit_2()
    {
        var bogus = Path.Combine(_m.Dir.Path, "bogus.safetensors");
        File.WriteAllText(bogus, "not a model");
        AssertOneSentenceError(Run("eval", bogus, "--backend", "cpu"), "bogus.safetensors");
    }

    [GeneratedRegex("src=\"([^\"]+)\"")]
    private static partial Regex SourceRegex();
}
