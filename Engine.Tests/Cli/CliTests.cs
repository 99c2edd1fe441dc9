using System.Text.Json;
using DeepGpu.Backends.Cpu;
using DeepGpu.Cli;
using DeepGpu.Tests.TestSupport;

namespace DeepGpu.Tests.Cli;

/// <summary>The deepgpu command as a user runs it: output, exit codes, and one-sentence errors without stack traces.</summary>
public sealed class CliTests
{
    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertUserError(int expectedCode, (int Code, string Out, string Err) r, string expected)
    {
        Assert.Equal(expectedCode, r.Code);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("Exception", r.Err);
    }

    [Fact]
    public void Train_prints_json_lines_with_the_final_summary()
    {
        var r = Run("train", "--epochs", "1", "--backend", "cpu", "--json", "--batch", "200");
        Assert.True(r.Code == 0, r.Err);
        var lines = r.Out.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        using var epoch = JsonDocument.Parse(lines[0]);
        Assert.Equal(1, epoch.RootElement.GetProperty("epoch").GetInt32());
        using var final = JsonDocument.Parse(lines[1]);
        var root = final.RootElement;
        var accuracy = root.GetProperty("testAccuracy").GetDouble();
        Assert.True(accuracy > 0.5, $"test accuracy {accuracy:P2}");
        var loss = root.GetProperty("trainLoss").GetDouble();
        Assert.True(loss > 0, $"train loss {loss}");
        Assert.Equal(1, root.GetProperty("epochs").GetInt32());
        Assert.Equal("cpu", root.GetProperty("backend").GetString());
        var seconds = root.GetProperty("seconds").GetDouble();
        Assert.True(seconds > 0, $"seconds {seconds}");
        Assert.True(root.GetProperty("testIsHeldOut").GetBoolean());
        Assert.Contains("holding out", r.Err);
    }

    [Fact]
    public void Train_without_json_prints_a_line_per_epoch()
    {
        var r = Run("train", "--model", "mlp", "--hidden", "20", "--epochs", "2", "--backend", "cpu");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("epoch 1/2", r.Out);
        Assert.Contains("epoch 2/2", r.Out);
        Assert.Contains("validation accuracy", r.Out);
        Assert.DoesNotContain("dropout on", r.Out);
    }

    [Fact]
    public void Mlp_without_hidden_has_the_default_two_hidden_layers_of_100()
    {
        var r = Run("train", "--model", "mlp", "--epochs", "1", "--backend", "cpu", "--batch", "1000", "--json");
        Assert.True(r.Code == 0, r.Err);
        // 784x100 + 100, 100x100 + 100, 100x10 + 10
        Assert.Contains("model: mlp, 89,610 parameters", r.Err);
    }

    [Fact]
    public void Train_accuracy_scored_with_dropout_on_says_so()
    {
        var r = Run("train", "--model", "mlp", "--hidden", "20", "--dropout", "0.5", "--epochs", "1", "--backend", "cpu", "--batch", "500");
        Assert.True(r.Code == 0, r.Err);
        Assert.Matches(@"epoch 1/1  train loss \S+  train acc [\d.]+ ?% \(dropout on\)  validation acc ", r.Out);
        Assert.Contains("note: train acc is scored on the training batches as they train, with dropout on", r.Out);
    }

    [Theory]
    [InlineData("--lr", "-1", "--lr must be a positive number")]
    [InlineData("--lr", "abc", "--lr must be a positive number")]
    [InlineData("--batch", "0", "--batch must be a positive whole number")]
    [InlineData("--epochs", "x", "--epochs must be a positive whole number")]
    [InlineData("--model", "resnet", "--model must be one of")]
    [InlineData("--activation", "tanh", "--activation applies only to --model mlp")]
    [InlineData("--backend", "tpu", "--backend must be one of")]
    [InlineData("--optimizer", "lion", "--optimizer must be one of")]
    [InlineData("--frobnicate", "1", "Unknown option --frobnicate")]
    public void Bad_options_are_usage_errors(string option, string value, string expected)
    {
        var r = Run("train", option, value);
        AssertUserError(2, r, expected);
        Assert.Contains("usage: deepgpu train", r.Err);
    }

    [Theory]
    [InlineData("train --epoch 3", "deepgpu train: Unknown option --epoch. Did you mean --epochs?")]
    [InlineData("train --model resnet", "deepgpu train: --model must be one of two-layer, mlp, simple-convnet, deep-convnet or a .json network spec file, not 'resnet'.")]
    [InlineData("train --activation tanh", "deepgpu train: --activation applies only to --model mlp, not two-layer.")]
    [InlineData("eval", "deepgpu eval: Give the model file to evaluate.")]
    [InlineData("trian", "deepgpu: unknown command 'trian'. Did you mean train?")]
    public void A_usage_mistake_is_one_sentence_and_a_pointer_to_help_before_any_work(string line, string expected)
    {
        var r = Run(line.Split(' '));
        Assert.Equal(2, r.Code);
        var lines = r.Err.TrimEnd().Split(Environment.NewLine);
        // Not the data and backend lines, not the whole help: what is wrong, then where to look.
        Assert.True(lines.Length == 2, r.Err);
        Assert.Equal(expected, lines[0]);
        Assert.StartsWith("usage: deepgpu ", lines[1]);
        Assert.Contains("--help", lines[1]);
        Assert.Empty(r.Out);
    }

    [Fact]
    public void Version_prints_the_version_and_help_lists_it()
    {
        Assert.StartsWith("deepgpu ", Run("--version").Out);
        var help = Run("--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("--version", help.Out);
        foreach (var command in new[] { "train", "predict", "eval", "export", "filters", "experiment", "tune", "check", "bench", "devices" })
        {
            Assert.Contains($"  {command} ", help.Out);
            var own = Run(command, "--help");
            Assert.True(own.Code == 0, own.Err);
            Assert.Contains($"deepgpu {command}", own.Out);
        }
    }

    [Fact]
    public void Options_come_from_a_response_file()
    {
        using var dir = new TempDir();
        var rsp = Path.Combine(dir.Path, "bad.rsp");
        File.WriteAllText(rsp, "--backend tpu\n");
        AssertUserError(2, Run("check", "@" + rsp), "deepgpu check: --backend must be one of");
    }

    [Fact]
    public void A_picture_given_as_the_model_is_one_sentence()
    {
        var path = Path.Combine(Path.GetTempPath(), $"deepgpu-notamodel-{Environment.ProcessId}.png");
        File.WriteAllBytes(path, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3]);
        try
        {
            AssertUserError(2, Run("eval", path, "--backend", "cpu"), "is not a DeepGpu model file (a picture or another kind of file?)");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_unknown_command_is_a_usage_error() => AssertUserError(2, Run("fly"), "unknown command 'fly'");

    [Fact]
    public void Missing_data_says_where_it_looked()
    {
        var r = Run("train", "--data", "/nonexistent/mnist", "--backend", "cpu");
        AssertUserError(2, r, "/nonexistent/mnist");
    }

    [WithoutDeviceFact("cuda")]
    public void Cuda_without_a_gpu_is_a_clear_error()
    {
        var r = Run("train", "--backend", "cuda", "--epochs", "1");
        AssertUserError(2, r, "CUDA");
    }

    [Fact]
    public void Devices_lists_the_cpu_and_the_auto_choice()
    {
        var r = Run("devices");
        Assert.Equal(0, r.Code);
        Assert.Contains("cpu", r.Out);
        Assert.Contains("auto:", r.Out);
        Assert.Contains("cpu caches: L1d", r.Out);
        if (CpuTiers.Best != CpuTier.Scalar) Assert.Contains($"cpu FP32 FMA peak, {CpuTiers.Best}", r.Out);
    }

    [Fact]
    public void Bench_prints_one_json_object_per_figure()
    {
        var r = Run("bench", "--backend", "cpu", "--json", "--budget", "0.05");
        Assert.True(r.Code == 0, r.Err);
        var lines = r.Out.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([256, 512, 1024], lines.Where(l => l.GetProperty("kind").GetString() == "gemm").Select(l => l.GetProperty("n").GetInt32()));
        Assert.All(lines.Where(l => l.GetProperty("kind").GetString() == "gemm"), l => Assert.True(l.GetProperty("gflops").GetDouble() > 0, $"gemm line {l}"));
        var train = lines.Where(l => l.GetProperty("kind").GetString() == "train").ToList();
        Assert.Equal(["two-layer", "mlp", "simple-convnet", "deep-convnet"], train.Select(l => l.GetProperty("model").GetString()));
        Assert.All(train, l => Assert.Equal(100, l.GetProperty("batch").GetInt32()));
        // A whole step neither waits for the device nor allocates; the cpu backend runs ops as calls and counts no launches.
        Assert.All(train, l => Assert.Equal((0, 0), (l.GetProperty("syncsPerStep").GetInt32(), l.GetProperty("allocationsPerStep").GetInt32())));
        Assert.All(train, l => Assert.Equal(JsonValueKind.Null, l.GetProperty("launchesPerStep").ValueKind));
        var infer = Assert.Single(lines, l => l.GetProperty("kind").GetString() == "infer");
        Assert.Equal(1000, infer.GetProperty("batch").GetInt32());
        Assert.True(infer.GetProperty("imagesPerSecond").GetDouble() > 0, $"infer line {infer}");
        var latency = Assert.Single(lines, l => l.GetProperty("kind").GetString() == "latency");
        Assert.Equal(1, latency.GetProperty("batch").GetInt32());
        Assert.True(latency.GetProperty("msPerBatch").GetDouble() > 0, $"latency line {latency}");
        var peaks = lines.Where(l => l.GetProperty("kind").GetString() == "peak").ToList();
        if (CpuTiers.Best != CpuTier.Scalar) Assert.Contains(peaks, p => p.GetProperty("tier").GetString() == CpuTiers.Best.ToString() && p.GetProperty("cores").GetInt32() == 1);
        Assert.All(peaks, p => Assert.True(p.GetProperty("gflops").GetDouble() > 0, p.ToString()));
    }

    [Fact]
    public void Check_runs_every_op_on_the_cpu_and_passes()
    {
        var r = Run("check", "--backend", "cpu");
        Assert.True(r.Code == 0, r.Out + r.Err);
        foreach (var op in new[] { "gemm", "convolution forward+backward", "max-pooling", "batchnorm", "dropout", "adam", "small convnet" })
        {
            Assert.Contains(op, r.Out);
        }
        Assert.Contains("cpu: ", r.Out);
        Assert.Contains(" 0 failed", r.Out);
    }
}

public sealed class CliTrainingFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepgpu-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement Final(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Resume_from_a_checkpoint_continues_like_an_uninterrupted_run()
    {
        string[] common = ["train", "--model", "mlp", "--hidden", "24", "--dropout", "0.2", "--optimizer", "adam", "--backend", "cpu", "--json", "--batch", "250"];
        var whole = CliTests.Run([.. common, "--epochs", "2", "--out", Path.Combine(_dir, "whole.safetensors")]);
        Assert.True(whole.Code == 0, whole.Err);
        var ckpt = Path.Combine(_dir, "ckpt");
        var first = CliTests.Run([.. common, "--epochs", "1", "--checkpoint", ckpt]);
        Assert.True(first.Code == 0, first.Err);
        Assert.True(File.Exists(Path.Combine(ckpt, "checkpoint.safetensors")));
        var resumed = CliTests.Run("train", "--resume", ckpt, "--epochs", "2", "--backend", "cpu", "--json", "--out", Path.Combine(_dir, "resumed.safetensors"));
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Equal(Final(whole.Out).GetProperty("trainLoss").GetDouble(), Final(resumed.Out).GetProperty("trainLoss").GetDouble());
        Assert.Equal(Final(whole.Out).GetProperty("testAccuracy").GetDouble(), Final(resumed.Out).GetProperty("testAccuracy").GetDouble());
        using var backend = new DeepGpu.Backends.Cpu.CpuBackend();
        using var a = DeepGpu.Models.Model.Load(Path.Combine(_dir, "whole.safetensors"), backend);
        using var b = DeepGpu.Models.Model.Load(Path.Combine(_dir, "resumed.safetensors"), backend);
        Assert.Equal(a.GetParameters(), b.GetParameters());
        Assert.Equal(2, b.History.Count);
    }

    [Theory]
    [InlineData("""[{"type":"affine","outputs":50},{"type":"convolution","filters":3,"size":3},{"type":"softmax-with-loss"}]""", "Layer convolution1 needs an image input [C, H, W] but gets [50]")]
    [InlineData("""[{"type":"affine","outputs":5},{"type":"softmax-with-loss"}]""", "Layer softmax1 gets [5] scores but the data has 10 classes")]
    [InlineData("""[{"type":"convolution","filters":3,"size":30},{"type":"softmax-with-loss"}]""", "Layer convolution1 has a 30x30 kernel (pad 0) that does not fit its input [1x28x28]")]
    [InlineData("""[{"type":"affine","outputs":5},{"type":"dense","outputs":5},{"type":"softmax-with-loss"}]""", "layer 2 has \"type\": \"dense\", which is not a layer type (known: affine, relu,")]
    [InlineData("""[{"outputs":5},{"type":"softmax-with-loss"}]""", "layer 1 has no \"type\" (known: affine,")]
    [InlineData("""[{"type":"affine","outputs":10,"colour":5},{"type":"softmax-with-loss"}]""", "'colour' is not an option")]
    [InlineData("""[{"type":"affine","outputs":10}]""", "must be a loss layer")]
    [InlineData("""not json""", "is not valid")]
    public void A_bad_network_spec_names_what_is_wrong(string json, string expected)
    {
        var path = Path.Combine(_dir, "net.json");
        File.WriteAllText(path, json);
        var r = CliTests.Run("train", "--model", path, "--backend", "cpu", "--epochs", "1");
        Assert.Equal(2, r.Code);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void A_network_spec_file_trains()
    {
        var path = Path.Combine(_dir, "net.json");
        // "type" need not come first.
        File.WriteAllText(path, """
            [
              {"filters": 4, "size": 3, "pad": 1, "init": {"kind": "he"}, "type": "convolution"},
              {"type": "relu"},
              {"type": "pooling", "size": 2, "stride": 2, "mode": "average"},
              {"type": "affine", "outputs": 10},
              {"type": "softmax-with-loss"}
            ]
            """);
        var r = CliTests.Run("train", "--model", path, "--backend", "cpu", "--epochs", "1", "--json", "--out", Path.Combine(_dir, "net.safetensors"));
        Assert.True(r.Code == 0, r.Err);
        var accuracy = Final(r.Out).GetProperty("testAccuracy").GetDouble();
        Assert.True(accuracy > 0.8, $"test accuracy {accuracy:P2}");
        using var backend = new DeepGpu.Backends.Cpu.CpuBackend();
        using var model = DeepGpu.Models.Model.Load(Path.Combine(_dir, "net.safetensors"), backend);
        Assert.Equal(5, model.Spec.Layers.Count);
    }

    [Fact]
    public void Augment_changes_what_the_network_trains_on()
    {
        Assert.Equal(new DeepGpu.Backends.AugmentOptions(2f, 10f, 0.1f), new DeepGpu.Backends.AugmentOptions());
        string[] common = ["train", "--epochs", "1", "--backend", "cpu", "--json", "--batch", "500"];
        var plain = CliTests.Run(common);
        var augmented = CliTests.Run([.. common, "--augment"]);
        Assert.True(plain.Code == 0 && augmented.Code == 0, plain.Err + augmented.Err);
        Assert.NotEqual(Final(plain.Out).GetProperty("trainLoss").GetDouble(), Final(augmented.Out).GetProperty("trainLoss").GetDouble());
    }

    [Fact]
    public void A_model_that_cannot_be_written_is_one_sentence_and_exit_2()
    {
        var blocker = Path.Combine(_dir, "file");
        File.WriteAllText(blocker, "x");
        var r = CliTests.Run("train", "--epochs", "1", "--backend", "cpu", "--batch", "500", "--out", Path.Combine(blocker, "m.safetensors"));
        Assert.Equal(2, r.Code);
        Assert.Contains("Cannot write", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void A_squared_error_model_reports_scores_and_its_own_loss()
    {
        var spec = Path.Combine(_dir, "mse.json");
        File.WriteAllText(spec, """[{"type":"affine","outputs":30},{"type":"relu"},{"type":"affine","outputs":10},{"type":"mean-squared-error"}]""");
        var model = Path.Combine(_dir, "mse.safetensors");
        Assert.Equal(0, CliTests.Run("train", "--model", spec, "--epochs", "1", "--backend", "cpu", "--weight-decay", "0", "--out", model).Code);
        var eval = CliTests.Run("eval", model, "--json", "--backend", "cpu");
        Assert.True(eval.Code == 0, eval.Err);
        var loss = JsonDocument.Parse(eval.Out).RootElement.GetProperty("loss").GetDouble();
        Assert.True(double.IsFinite(loss) && loss > 0, $"loss {loss}");
        using var backend = new DeepGpu.Backends.Cpu.CpuBackend();
        using var m = DeepGpu.Models.Model.Load(model, backend);
        var prediction = m.Classify(new float[784]);
        Assert.False(prediction.IsProbability);
        Assert.Contains("(score ", prediction.ToString());
    }

    /// <summary>Cancels a run when the text it is given has been written, as a person pressing Ctrl-C on seeing it.</summary>
    private sealed class CancelOnText(string text, CancellationTokenSource cancel) : StringWriter
    {
        public override void Write(char value)
        {
            base.Write(value);
            Check();
        }

        public override void Write(string? value)
        {
            base.Write(value);
            Check();
        }

        public override void Write(char[] buffer, int index, int count)
        {
            base.Write(buffer, index, count);
            Check();
        }

        private void Check()
        {
            if (ToString().Contains(text, StringComparison.Ordinal)) cancel.Cancel();
        }
    }

    [Fact]
    public void Ctrl_c_during_train_out_saves_the_model_of_the_finished_epochs_and_says_how_to_resume()
    {
        string[] train = ["train", "--epochs", "3", "--backend", "cpu", "--batch", "500"];
        var oneEpoch = Path.Combine(_dir, "one.safetensors");
        var whole = CliTests.Run([.. train[..2], "1", .. train[3..], "--out", oneEpoch]);
        Assert.True(whole.Code == 0, whole.Err);

        // The progress line of epoch 2 is drawn part-way through it: the live weights are then past epoch 1.
        var stopped = Path.Combine(_dir, "stopped.safetensors");
        using (var cancel = new CancellationTokenSource())
        {
            var stderr = new StringWriter();
            var code = CommandLine.Run([.. train, "--out", stopped], new CancelOnText("epoch 2 ", cancel), stderr, interactive: true, cancel.Token);
            Assert.Equal(130, code);
            Assert.Contains($"deepgpu train: cancelled in epoch 2 of 3; saved the model after epoch 1 to {stopped}; to continue a stopped run, train with --checkpoint DIR and then --resume DIR.", stderr.ToString());
        }
        using var backend = new DeepGpu.Backends.Cpu.CpuBackend();
        using (var expected = DeepGpu.Models.Model.Load(oneEpoch, backend))
        using (var saved = DeepGpu.Models.Model.Load(stopped, backend))
        {
            Assert.Equal(expected.GetParameters(), saved.GetParameters());
            Assert.Single(saved.History);
        }

        // Stopped before any epoch finished: nothing is written, and the message says so.
        var nothing = Path.Combine(_dir, "nothing.safetensors");
        using (var cancel = new CancellationTokenSource())
        {
            var stderr = new StringWriter();
            var code = CommandLine.Run([.. train, "--out", nothing, "--checkpoint", Path.Combine(_dir, "ckpt")], new CancelOnText("epoch 1 ", cancel), stderr, interactive: true, cancel.Token);
            Assert.Equal(130, code);
            Assert.Contains("deepgpu train: cancelled in epoch 1 of 3; nothing was saved: no epoch had finished.", stderr.ToString());
        }
        Assert.False(File.Exists(nothing));
    }

    [Fact]
    public void Resume_refuses_options_the_checkpoint_fixes()
    {
        var r = CliTests.Run("train", "--resume", _dir, "--lr", "0.5");
        Assert.Equal(2, r.Code);
        Assert.Contains("--lr cannot change when resuming", r.Err);
    }

    [Fact]
    public void Resume_without_a_checkpoint_is_one_sentence()
    {
        var r = CliTests.Run("train", "--resume", _dir, "--backend", "cpu");
        Assert.Equal(2, r.Code);
        Assert.Contains("No checkpoint to resume from", r.Err);
    }
}
