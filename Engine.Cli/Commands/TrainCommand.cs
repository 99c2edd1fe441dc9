using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using DeepGpu.Backends;
using DeepGpu.Data;
using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Training;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu train: trains a network on MNIST-shaped data and reports each epoch.</summary>
internal sealed class TrainCommand : CliCommand
{
    private readonly NetworkOptions _network = new();
    private readonly Option<string?> _optimizer = new("--optimizer")
    {
        HelpName = "NAME",
        Description = $"{string.Join(", ", Optimizer.Names)} (default: the preset's, as the book trains it)",
        CustomParser = r =>
        {
            var text = r.Tokens[^1].Value;
            if (!Optimizer.Names.Contains(text)) r.AddError($"--optimizer must be one of {string.Join(", ", Optimizer.Names)}, not '{text}'.");
            return text;
        },
    };
    private readonly Option<float?> _lr = CliOptions.PositiveFloat("--lr", "learning rate (default: the preset's: 0.1 for sgd nets, 0.001 for adam)");
    private readonly Option<float> _weightDecay = CliOptions.FloatInRange("--weight-decay", 0f, 0f, float.MaxValue, "L2 weight decay λ (loss += 0.5·λ·ΣW²)", "L");
    private readonly Option<bool> _augment = CliOptions.Flag("--augment", "random shifts, rotations and scaling of training images");
    private readonly Option<int> _epochs = CliOptions.PositiveInt("--epochs", 10, "epochs (when resuming, the run's own count)");
    private readonly Option<int> _batch = CliOptions.PositiveInt("--batch", 100, "batch size");
    private readonly Option<ulong> _seed = CliOptions.Seed("seed for initial weights, shuffles and dropout");
    private readonly Option<string> _backend = CliOptions.Backend();
    private readonly Option<string?> _data = CliOptions.Data();
    private readonly Option<bool> _download = CliOptions.Flag("--download", "allow downloading the full MNIST into ~/.cache/deepgpu/mnist when no data is found");
    private readonly Option<string?> _out = CliOptions.Path("--out", "FILE", "save the trained model (.safetensors) when training ends");
    private readonly Option<string?> _checkpoint = CliOptions.Path("--checkpoint", "DIR", "save a checkpoint (model and optimizer state) after every epoch");
    private readonly Option<string?> _resume = CliOptions.Path("--resume", "DIR",
        "continue from the last complete epoch in DIR up to --epochs; the network, optimizer, batch, seed and regularisation come from the checkpoint");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "print one JSON object per epoch and a final summary instead of progress bars");

    public TrainCommand() : base("train", "train a network (default: the book's two-layer net on the embedded MNIST sample)")
    {
        foreach (var option in _network.All) Options.Add(option);
        foreach (var option in new Option[] { _optimizer, _lr, _weightDecay, _augment, _epochs, _batch, _seed, _backend, _data, _download, _out, _checkpoint, _resume, _json })
        {
            Options.Add(option);
        }
    }

    public override string Details => """
        examples:
          deepgpu train
          deepgpu train --model mlp --hidden 100,100 --epochs 5 --json
          deepgpu train --model simple-convnet --backend cuda --data ~/mnist --out convnet.safetensors
          deepgpu train --model mlp --epochs 20 --checkpoint runs/mlp   (then --resume runs/mlp after a stop)

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var json = parse.GetValue(_json);
        var info = json ? terminal.Err : terminal.Out;
        var epochs = parse.GetValue(_epochs);
        var batch = parse.GetValue(_batch);
        var seed = parse.GetValue(_seed);
        var lr = parse.GetValue(_lr);
        var weightDecay = parse.GetValue(_weightDecay);
        var backendName = parse.GetValue(_backend)!;
        var optimizerName = parse.GetValue(_optimizer);

        var resume = parse.GetValue(_resume);
        if (resume is not null)
        {
            var fixedByCheckpoint = _network.All.Concat([_optimizer, _lr, _weightDecay, _batch, _seed, _augment]).Where(o => Given(parse, o)).Select(o => o.Name).ToList();
            if (fixedByCheckpoint.Count > 0) throw new UsageException($"{string.Join(", ", fixedByCheckpoint)} cannot change when resuming: the checkpoint fixes them.");
        }
        else
        {
            _network.Validate(parse);
        }
        var output = parse.GetValue(_out);
        if (output is not null && Directory.Exists(output)) throw new UsageException($"--out {output} is a directory; give a file name such as model.safetensors.");

        var data = Mnist.Load(new MnistOptions { DataDir = parse.GetValue(_data), AllowDownload = parse.GetValue(_download) });
        info.WriteLine($"data: {data.Description}");
        using var backend = BackendChoice.Create(backendName, info);

        Model model;
        Optimizer optimizer;
        TrainerOptions options;
        var completed = 0;
        if (resume is not null)
        {
            (model, optimizer, completed, var metadata) = Checkpoint.Load(resume, backend);
            options = JsonSerializer.Deserialize<TrainerOptions>(metadata.GetValueOrDefault("trainer") ?? "{}", CliJson.Options)!;
            // Without --epochs, a resumed run finishes the run it continues.
            epochs = Given(parse, _epochs) ? epochs : options.Epochs;
            options = options with { Epochs = epochs };
            if (completed >= epochs) throw new DeepGpuException($"The checkpoint in {resume} already holds {Words.Plural(completed, "epoch")}; ask for more with --epochs.");
            info.WriteLine($"resuming {Path.Combine(resume, Checkpoint.FileName)} after epoch {completed} of {epochs}");
        }
        else
        {
            var chosen = _network.Build(parse, data.Train.SampleShape.ToArray(), data.Train.Classes);
            var (defaultOptimizer, defaultLr) = Networks.DefaultOptimizer(chosen.Name ?? "");
            optimizer = Optimizer.Create(optimizerName ?? defaultOptimizer, lr ?? (optimizerName is null ? defaultLr : null));
            model = Model.Create(chosen, backend, seed);
            options = new TrainerOptions
            {
                Epochs = epochs,
                BatchSize = batch,
                Seed = seed,
                WeightDecay = weightDecay,
                Augment = parse.GetValue(_augment) ? new AugmentOptions() : null,
            };
        }
        using var modelScope = model;
        using var optimizerScope = optimizer;
        var spec = model.Spec;
        info.WriteLine($"model: {spec.Name ?? "custom"}, {model.Network.ParameterCount:N0} parameters; {optimizer}; batch {options.BatchSize}; {Words.Plural(epochs, "epoch")}");
        // Train accuracy is the running score of the training batches, so dropout lowers it; test accuracy runs without.
        var dropout = spec.Layers.Any(l => l is DropoutSpec { Ratio: > 0 });
        if (dropout && !json)
        {
            info.WriteLine("note: train acc is scored on the training batches as they train, with dropout on; the "
                + (data.TestIsHeldOut ? "validation" : "test") + " acc without it, so the two are not comparable.");
        }

        var trainer = new Trainer(model, optimizer, options) { CompletedEpochs = completed };
        var checkpointDir = parse.GetValue(_checkpoint) ?? resume;
        if (checkpointDir is not null)
        {
            var trainerJson = JsonSerializer.Serialize(options, CliJson.Options);
            trainer.AfterEpoch = epoch => Checkpoint.Save(checkpointDir, model, optimizer, epoch, new Dictionary<string, string> { ["trainer"] = trainerJson });
        }
        // A stop part-way through an epoch leaves the weights part-trained: --out gets those of the last finished epoch.
        (float[] Parameters, float[] State)? finished = output is not null && completed > 0 ? (model.GetParameters(), model.GetState()) : null;
        if (output is not null) trainer.EpochCompleted += _ => finished = (model.GetParameters(), model.GetState());
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(terminal.Cancel);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        var clock = Stopwatch.StartNew();
        try
        {
            using var view = new TrainingView(terminal, json, data.TestIsHeldOut ? "validation" : "test", dropout);
            trainer.Progress += view.OnProgress;
            trainer.EpochCompleted += view.OnEpoch;
            trainer.Fit(data.Train, data.Test, cancel.Token);
        }
        catch (OperationCanceledException)
        {
            var stop = $"cancelled in epoch {trainer.CompletedEpochs + 1} of {epochs}";
            string kept;
            if (output is not null && finished is var (parameters, state))
            {
                model.SetParameters(parameters);
                model.SetState(state);
                model.Save(output);
                kept = $"saved the model after epoch {trainer.CompletedEpochs} to {output}";
            }
            else
            {
                kept = trainer.CompletedEpochs == 0 ? "nothing was saved: no epoch had finished" : "nothing was saved (--out FILE keeps the model of the finished epochs)";
            }
            var resumeHint = checkpointDir is null ? "; to continue a stopped run, train with --checkpoint DIR and then --resume DIR"
                : trainer.CompletedEpochs > 0 ? $"; the checkpoint in {checkpointDir} holds epoch {trainer.CompletedEpochs}: continue with --resume {checkpointDir}"
                : "";
            terminal.Err.WriteLine($"deepgpu {Name}: {stop}; {kept}{resumeHint}.");
            return 130;
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
            terminal.Out.WriteLine(JsonSerializer.Serialize(new
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
            terminal.Out.WriteLine($"done: {(data.TestIsHeldOut ? "validation" : "test")} accuracy {last.TestAccuracy:P2} after {Words.Plural(epochs, "epoch")} in {clock.Elapsed.TotalSeconds:F1} s on {backend.Name}");
        }
        return 0;
    }
}
