using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Data;
using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Tensors;
using DeepGpu.Tests.Cli;
using DeepGpu.Tests.TestSupport;
using DeepGpu.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DeepGpu.Tests.Onnx;

/// <summary>
/// Exported ONNX files, run by ONNX Runtime on real MNIST digits, give the engine's own probabilities (or
/// scores) for every layer type; export errors are one sentence and leave no file behind.
/// </summary>
public sealed class OnnxExportTests : IDisposable
{
    private const float Tolerance = 1e-4f;
    private const int Digits = 20;

    private static readonly Lazy<MnistData> _sample = new(() => Mnist.LoadEmbeddedSample());

    private readonly CpuBackend _backend = new();
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    private static float[] RealDigits() => _sample.Value.Test.Take(Digits).ToFloat(normalize: true);

    public static TheoryData<string> Presets => ["two-layer", "mlp-batchnorm-dropout-sigmoid", "simple-convnet", "deep-convnet"];

    private static NetworkSpec Preset(string name) => name switch
    {
        "two-layer" => Networks.TwoLayer(),
        "mlp-batchnorm-dropout-sigmoid" => Networks.Mlp([40, 30], Activation.Sigmoid, batchNorm: true, dropout: 0.3f),
        "simple-convnet" => Networks.SimpleConvNet(),
        "deep-convnet" => Networks.DeepConvNet(),
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// Strided, padded convolutions with a size that does not divide evenly, average pooling with padding,
    /// padded max pooling, batch norm per channel and per feature, tanh, sigmoid, flatten and dropout.
    /// </summary>
    private static NetworkSpec Custom() => new(
        [1, 28, 28],
        [
            new ConvolutionSpec(6, 4, Stride: 3, Pad: 1) { Init = Initializers.WeightInit.He },
            new PoolingSpec(3, 2, 1) { Mode = PoolingMode.Average },
            new BatchNormalizationSpec(),
            new TanhSpec(),
            new ConvolutionSpec(8, 3, Stride: 2, Pad: 1) { Init = Initializers.WeightInit.He },
            new ReluSpec(),
            new PoolingSpec(2, 1, 1),
            new FlattenSpec(),
            new AffineSpec(20) { Init = Initializers.WeightInit.Xavier },
            new BatchNormalizationSpec(Epsilon: 1e-5f),
            new SigmoidSpec(),
            new DropoutSpec(0.5f),
            new AffineSpec(10) { Init = Initializers.WeightInit.Xavier },
            new SoftmaxWithLossSpec(),
        ]) { Name = "custom" };

    /// <summary>Scores rather than probabilities, on a [28, 28] input that batch norm normalises per pixel.</summary>
    private static NetworkSpec MeanSquared() => new(
        [28, 28],
        [
            new BatchNormalizationSpec(),
            new AffineSpec(30) { Init = Initializers.WeightInit.Xavier },
            new TanhSpec(),
            new AffineSpec(10) { Init = Initializers.WeightInit.Xavier },
            new MeanSquaredErrorSpec(),
        ]);

    /// <summary>
    /// Gives a model values no initialiser would: non-zero biases, betas and running means, gammas and running
    /// variances away from 1, then a few training steps so the path the CLI exports after training is covered.
    /// </summary>
    private static void MakeNonTrivial(Model model, int seed)
    {
        var rng = new Random(seed);
        float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        var p = model.GetParameters();
        foreach (var slot in model.Network.Parameters)
        {
            var span = p.AsSpan(slot.Offset, slot.Length);
            // He-scaled weights (a little larger) whatever the initialiser, so that even deep-convnet is far from uniform.
            // Affine W is [in, out], convolution W is [F, C, KH, KW].
            var fanIn = slot.Shape.Rank == 2 ? slot.Shape[0] : slot.Shape.Size / slot.Shape[0];
            var std = 1.3f * MathF.Sqrt(2f / fanIn);
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = slot.Name switch
                {
                    "W" => std * Normal(),
                    "gamma" => 1f + 0.3f * Normal(),
                    _ => 0.1f * Normal(),
                };
            }
        }
        model.SetParameters(p);
        var s = model.GetState();
        foreach (var slot in model.Network.State)
        {
            var span = s.AsSpan(slot.Offset, slot.Length);
            for (var i = 0; i < span.Length; i++) span[i] = slot.Name == "running_mean" ? 0.2f * Normal() : 0.5f + (float)rng.NextDouble();
        }
        model.SetState(s);

        using var optimizer = Optimizer.Create("adam", 0.003f);
        var trainer = new Trainer(model, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 50, Seed = (ulong)seed });
        trainer.Fit(_sample.Value.Train.Take(300), _sample.Value.Test.Take(50));
    }

    /// <summary>ONNX Runtime's output for the inputs, with its shape.</summary>
    private static (float[] Values, int[] Dims) RunOnnx(string path, Model model, float[] inputs)
    {
        using var session = new InferenceSession(path);
        var sample = model.Network.InputShape.ToArray();
        var count = inputs.Length / model.Network.InputShape.Size;
        var tensor = new DenseTensor<float>(inputs, [count, .. sample]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, tensor)]);
        var output = results.Single(r => r.Name == OnnxExporter.OutputName).AsTensor<float>();
        return (output.ToArray(), output.Dimensions.ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual) => Expect.Close(expected, actual, 0, Tolerance, "ONNX output against the engine's");

    /// <summary>Guards against a comparison that passes because the outputs hardly depend on the digit.</summary>
    private static void AssertVaried(float[] values, int classes)
    {
        var spread = 0f;
        for (var i = classes; i < values.Length; i++) spread = MathF.Max(spread, MathF.Abs(values[i] - values[i % classes]));
        Assert.True(spread > 0.05f, $"The outputs differ between digits by at most {spread}; the test would not notice a wrong graph.");
        var range = values.Max() - values.Min();
        Assert.True(range > 0.2f, $"The outputs span only {range}; the test would not notice a wrong graph.");
    }

    private void ExportAndCompare(NetworkSpec spec, int seed, out float[] expected)
    {
        using var model = Model.Create(spec, _backend, (ulong)seed);
        MakeNonTrivial(model, seed);
        var inputs = RealDigits();
        expected = model.Predict(inputs);
        AssertVaried(expected, spec.Classes);

        var path = _dir.File($"{spec.Name ?? "net"}.onnx");
        OnnxExporter.Export(model, path);
        var (actual, dims) = RunOnnx(path, model, inputs);
        Assert.Equal([Digits, spec.Classes], dims);
        AssertClose(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Presets_give_the_engines_probabilities_in_onnx_runtime(string preset)
    {
        ExportAndCompare(Preset(preset), 3, out var probabilities);
        for (var r = 0; r < Digits; r++) Assert.Equal(1f, probabilities.AsSpan(r * 10, 10).ToArray().Sum(), 1e-4f);
    }

    [Fact]
    public void Strided_padded_convolution_and_padded_pooling_match()
    {
        ExportAndCompare(Custom(), 5, out _);
    }

    [Fact]
    public void A_mean_squared_error_net_exports_its_scores()
    {
        ExportAndCompare(MeanSquared() with { Name = "mse" }, 7, out var scores);
        // Scores, not probabilities: some fall outside [0, 1].
        Assert.Contains(scores, s => s is < 0f or > 1f);
    }

    [Fact]
    public void The_graph_declares_a_symbolic_batch_and_the_opset()
    {
        using var model = Model.Create(Networks.SimpleConvNet(), _backend, 1);
        var path = _dir.File("m.onnx");
        OnnxExporter.Export(model, path);
        using var session = new InferenceSession(path);
        var input = session.InputMetadata[OnnxExporter.InputName];
        Assert.Equal([-1, 1, 28, 28], input.Dimensions);
        Assert.Equal("N", input.SymbolicDimensions[0]);
        Assert.Equal(typeof(float), input.ElementType);
        var output = session.OutputMetadata[OnnxExporter.OutputName];
        Assert.Equal([-1, 10], output.Dimensions);
        Assert.Equal("DeepGpu", session.ModelMetadata.ProducerName);
        Assert.Equal("simple-convnet", session.ModelMetadata.GraphName);
        Assert.Contains("labels", session.ModelMetadata.CustomMetadataMap.Keys);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*"));
    }

    [Fact]
    public void Any_batch_size_runs()
    {
        using var model = Model.Create(Networks.TwoLayer(), _backend, 2);
        MakeNonTrivial(model, 2);
        var path = _dir.File("b.onnx");
        OnnxExporter.Export(model, path);
        foreach (var n in new[] { 1, 7 })
        {
            var inputs = _sample.Value.Test.Slice(30, n).ToFloat(true);
            var (actual, dims) = RunOnnx(path, model, inputs);
            Assert.Equal([n, 10], dims);
            AssertClose(model.Predict(inputs), actual);
        }
    }

    [Fact]
    public void Exporting_over_an_existing_file_replaces_it()
    {
        var path = _dir.File("same.onnx");
        File.WriteAllText(path, "old");
        using var model = Model.Create(Networks.TwoLayer(), _backend, 2);
        OnnxExporter.Export(model, path);
        Assert.Equal(OnnxExporter.ToBytes(model), File.ReadAllBytes(path));
    }

    /// <summary>A layer spec the exporter has never heard of (it builds an ordinary relu).</summary>
    private sealed record MysterySpec : LayerSpec
    {
        public override string Kind => "mystery";
        public override Layer Create(string name, Shape input, int index) => new ActivationLayer(name, input, Activation.Relu);
    }

    [Fact]
    public void An_unknown_layer_is_refused_and_nothing_is_written()
    {
        var spec = new NetworkSpec([1, 28, 28], [new AffineSpec(10), new MysterySpec(), new SoftmaxWithLossSpec()]);
        using var model = Model.Create(spec, _backend, 1);
        var path = _dir.File("x.onnx");
        var e = Assert.Throws<DeepGpuException>(() => OnnxExporter.Export(model, path));
        Assert.Contains("mystery1", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void A_missing_output_folder_is_one_sentence()
    {
        using var model = Model.Create(Networks.TwoLayer(), _backend, 1);
        var e = Assert.Throws<DeepGpuException>(() => OnnxExporter.Export(model, Path.Combine(_dir.Path, "nope", "m.onnx")));
        Assert.Contains("does not exist", e.Message);
    }

    // The command line.

    private string SavedModel(NetworkSpec spec, out Model model)
    {
        model = Model.Create(spec, _backend, 4);
        MakeNonTrivial(model, 4);
        var path = _dir.File("model.safetensors");
        model.Save(path);
        return path;
    }

    [Fact]
    public void Cli_export_writes_a_file_that_matches_the_model()
    {
        var saved = SavedModel(Networks.Mlp([30], batchNorm: true, dropout: 0.2f), out var model);
        using (model)
        {
            var output = _dir.File("cli.onnx");
            var r = CliTests.Run("export", saved, "--onnx", output);
            Assert.True(r.Code == 0, r.Err);
            Assert.Contains("cli.onnx", r.Out);
            Assert.Contains("opset 13", r.Out);
            var inputs = RealDigits();
            AssertClose(model.Predict(inputs), RunOnnx(output, model, inputs).Values);
        }
    }

    [Fact]
    public void Cli_lists_export_and_explains_it()
    {
        Assert.Contains("export", CliTests.Run("--help").Out);
        var r = CliTests.Run("export", "--help");
        Assert.Equal(0, r.Code);
        Assert.Contains("--onnx", r.Out);
    }

    [Fact]
    public void Cli_missing_model_file_is_one_sentence_exit_2()
    {
        var r = CliTests.Run("export", _dir.File("absent.safetensors"), "--onnx", _dir.File("o.onnx"));
        AssertUserError(r, "does not exist");
        Assert.False(File.Exists(_dir.File("o.onnx")));
    }

    [Fact]
    public void Cli_bad_output_folder_is_one_sentence_exit_2()
    {
        var saved = SavedModel(Networks.TwoLayer(), out var model);
        model.Dispose();
        var r = CliTests.Run("export", saved, "--onnx", Path.Combine(_dir.Path, "missing", "o.onnx"));
        AssertUserError(r, "does not exist");
        r = CliTests.Run("export", saved, "--onnx", _dir.Path);
        AssertUserError(r, "is a folder");
    }

    [Fact]
    public void Cli_a_file_that_is_not_a_model_is_one_sentence_exit_2()
    {
        var path = _dir.File("junk.safetensors");
        File.WriteAllText(path, "not a model");
        AssertUserError(CliTests.Run("export", path, "--onnx", _dir.File("o.onnx")), "not a DeepGpu model file");
    }

    [Theory]
    [InlineData(new[] { "export" }, "Name the model file")]
    [InlineData(new[] { "export", "m.safetensors" }, "--onnx")]
    [InlineData(new[] { "export", "m.safetensors", "--onnx" }, "--onnx needs a value")]
    [InlineData(new[] { "export", "a", "b", "--onnx", "o.onnx" }, "Unexpected argument 'b'")]
    [InlineData(new[] { "export", "m.safetensors", "--tflite", "o" }, "Unknown option --tflite")]
    public void Cli_usage_mistakes_exit_2_with_usage(string[] args, string expected)
    {
        var r = CliTests.Run(args);
        AssertUserError(r, expected);
        Assert.Contains("usage: deepgpu export", r.Err);
    }

    private static void AssertUserError((int Code, string Out, string Err) r, string expected)
    {
        Assert.Equal(2, r.Code);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("Exception", r.Err);
    }
}
