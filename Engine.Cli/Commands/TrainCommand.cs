using System.Diagnostics;
using System.Text.Json;
using DeepGpu.Backends;
using DeepGpu.Data;
using DeepGpu.Graph;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Training;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu train: trains a network on MNIST-shaped data and reports each epoch.</summary>
internal sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Summary => "train a network (default: the book's two-layer net on the embedded MNIST sample)";
    public string Usage => """
        usage: deepgpu train [options]
          --model NAME|FILE   two-layer (default), mlp, simple-convnet, deep-convnet, or a JSON network spec
          --hidden 100,100    mlp hidden layer sizes
          --activation A      mlp activation: relu (default), sigmoid, tanh
          --init I            mlp weight init: std, xavier, he or a number (default: he for relu, xavier otherwise)
          --batchnorm         mlp: batch normalisation after each hidden affine layer
          --dropout R         mlp: dropout ratio after each hidden activation
          --optimizer NAME    sgd, momentum, nesterov, adagrad, rmsprop, adam (default: the preset's, as the book trains it)
          --lr X              learning rate (default: the preset's: 0.1 for sgd nets, 0.001 for adam)
          --weight-decay L    L2 weight decay λ (loss += 0.5·λ·ΣW²; default 0)
          --augment           random shifts, rotations and scaling of training images
          --epochs N          epochs (default 10; when resuming, the run's own count)
          --batch N           batch size (default 100)
          --seed N            seed for initial weights, shuffles and dropout (default 1)
          --backend B         auto (default), cuda, opencl, ilgpu-cpu, cpu
          --data DIR          MNIST-format IDX folder (default: $DEEPGPU_DATA, ~/.cache/deepgpu/mnist, then the embedded sample)
          --download          allow downloading the full MNIST into ~/.cache/deepgpu/mnist when no data is found
          --out FILE          save the trained model (.safetensors) when training ends
          --checkpoint DIR    save a checkpoint (model and optimizer state) after every epoch
          --resume DIR        continue from the last complete epoch in DIR up to --epochs; the network,
                              optimizer, batch, seed and regularisation come from the checkpoint
          --json              print one JSON object per epoch and a final summary instead of progress bars
        examples:
          deepgpu train
          deepgpu train --model mlp --hidden 100,100 --epochs 5 --json
          deepgpu train --model simple-convnet --backend cuda --data ~/mnist --out convnet.safetensors
          deepgpu train --model mlp --epochs 20 --checkpoint runs/mlp   (then --resume runs/mlp after a stop)

        """;

    private static readonly HashSet<string> ValueOptions =
        [.. NetworkOptions.Values, "optimizer", "lr", "weight-decay", "epochs", "batch", "seed", "backend", "data", "out", "checkpoint", "resume"];
    private static readonly HashSet<string> FlagOptions = [.. NetworkOptions.Flags, "augment", "download", "json"];

    public int Run(IReadOnlyList<string> args, Console2 console)
    {
        var a = new Arguments(args, ValueOptions, FlagOptions);
        if (a.Positionals.Count > 0) throw new UsageException($"Unexpected argument '{a.Positionals[0]}'.");
        var json = a.Flag("json");
        var info = json ? console.Err : console.Out;
        var epochs = a.PositiveInt("epochs", 10);
        var batch = a.PositiveInt("batch", 100);
        var seed = a.Seed("seed", 1);
        var lr = a.PositiveFloat("lr");
        var weightDecay = a.FloatInRange("weight-decay", 0f, 0f, float.MaxValue);
        var backendName = a.Choice("backend", "auto", BackendNames);
        var optimizerName = a.Value("optimizer");
        if (optimizerName is not null && !Optimizer.Names.Contains(optimizerName))
        {
            throw new UsageException($"--optimizer must be one of {string.Join(", ", Optimizer.Names)}, not '{optimizerName}'.");
        }

        var resume = a.Value("resume");
        if (resume is not null)
        {
            var fixedByCheckpoint = new[] { "model", "hidden", "activation", "init", "dropout", "optimizer", "lr", "weight-decay", "batch", "seed" }
                .Where(o => a.Value(o) is not null).Select(o => "--" + o).Concat(a.Flag("batchnorm") ? ["--batchnorm"] : []).Concat(a.Flag("augment") ? ["--augment"] : []).ToList();
            if (fixedByCheckpoint.Count > 0) throw new UsageException($"{string.Join(", ", fixedByCheckpoint)} cannot change when resuming: the checkpoint fixes them.");
        }
        var output = a.Value("out");
        if (output is not null && Directory.Exists(output)) throw new UsageException($"--out {output} is a directory; give a file name such as model.safetensors.");

        var data = Mnist.Load(new MnistOptions { DataDir = a.Value("data"), AllowDownload = a.Flag("download") });
        info.WriteLine($"data: {data.Description}");
        using var backend = CreateBackend(backendName, info);

        Model model;
        Optimizer optimizer;
        TrainerOptions options;
        var completed = 0;
        if (resume is not null)
        {
            (model, optimizer, completed, var metadata) = Checkpoint.Load(resume, backend);
            options = JsonSerializer.Deserialize<TrainerOptions>(metadata.GetValueOrDefault("trainer") ?? "{}", CliJson.Options)!;
            // Without --epochs, a resumed run finishes the run it continues.
            epochs = a.Value("epochs") is null ? options.Epochs : epochs;
            options = options with { Epochs = epochs };
            if (completed >= epochs) throw new DeepGpuException($"The checkpoint in {resume} already holds {Plural(completed, "epoch")}; ask for more with --epochs.");
            info.WriteLine($"resuming {Path.Combine(resume, Checkpoint.FileName)} after epoch {completed} of {epochs}");
        }
        else
        {
            var chosen = NetworkOptions.Build(a, data.Train.SampleShape.ToArray(), data.Train.Classes);
            var (defaultOptimizer, defaultLr) = Networks.DefaultOptimizer(chosen.Name ?? "");
            optimizer = Optimizer.Create(optimizerName ?? defaultOptimizer, lr ?? (optimizerName is null ? defaultLr : null));
            model = Model.Create(chosen, backend, seed);
            options = new TrainerOptions
            {
                Epochs = epochs,
                BatchSize = batch,
                Seed = seed,
                WeightDecay = weightDecay,
                Augment = a.Flag("augment") ? new AugmentOptions() : null,
            };
        }
        using var modelScope = model;
        using var optimizerScope = optimizer;
        var spec = model.Spec;
        info.WriteLine($"model: {spec.Name ?? "custom"}, {model.Network.ParameterCount:N0} parameters; {optimizer}; batch {options.BatchSize}; {Plural(epochs, "epoch")}");

        var trainer = new Trainer(model, optimizer, options) { CompletedEpochs = completed };
        var checkpointDir = a.Value("checkpoint") ?? resume;
        if (checkpointDir is not null)
        {
            var trainerJson = JsonSerializer.Serialize(options, CliJson.Options);
            trainer.AfterEpoch = epoch => Checkpoint.Save(checkpointDir, model, optimizer, epoch, new Dictionary<string, string> { ["trainer"] = trainerJson });
        }
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        var clock = Stopwatch.StartNew();
        try
        {
            using var view = new TrainingView(console, json, data.TestIsHeldOut ? "validation" : "test");
            trainer.Progress += view.OnProgress;
            trainer.EpochCompleted += view.OnEpoch;
            trainer.Fit(data.Train, data.Test, cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (output is not null)
        {
            model.Save(output);
            info.WriteLine($"saved {output}");
        }
        var last = model.History[^1];
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                final = true,
                model = spec.Name ?? "custom",
                backend = backend.Name,
                device = backend.DeviceName,
                epochs,
                batch = options.BatchSize,
                optimizer = optimizer.Name,
                learningRate = optimizer.LearningRate,
                trainLoss = last.TrainLoss,
                trainAccuracy = last.TrainAccuracy,
                testLoss = last.TestLoss,
                testAccuracy = last.TestAccuracy,
                testIsHeldOut = data.TestIsHeldOut,
                seconds = clock.Elapsed.TotalSeconds,
            }, CliJson.Options));
        }
        else
        {
            console.Out.WriteLine($"done: {(data.TestIsHeldOut ? "validation" : "test")} accuracy {last.TestAccuracy:P2} after {Plural(epochs, "epoch")} in {clock.Elapsed.TotalSeconds:F1} s on {backend.Name}");
        }
        return 0;
    }

    internal static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    public static readonly string[] BackendNames = ["auto", "cuda", "opencl", "ilgpu-cpu", "cpu"];

    /// <summary>Creates the backend; for auto, says which it picked and why.</summary>
    public static Backend CreateBackend(string name, TextWriter info)
    {
        if (name != "auto") return BackendFactory.Create(name);
        var (picked, why) = BackendFactory.ChooseAuto();
        info.WriteLine($"backend: {picked}, because {why}");
        return BackendFactory.Create(picked);
    }
}

internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
