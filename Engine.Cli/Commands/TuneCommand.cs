using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepGpu.Data;
using DeepGpu.Experiments;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu tune: the book's random search for learning rate and weight decay on a validation split of the training data.</summary>
internal sealed class TuneCommand : ICommand
{
    public string Name => "tune";
    public string Summary => "random search for learning rate and weight decay, scored on a validation split of the training data";
    public string Usage => """
        usage: deepgpu tune [options]
          --trials N          trials (default 100)
          --epochs N          epochs per trial (default 50)
          --lr-range A,B      learning rate 10^U(A,B) (default -6,-2)
          --decay-range C,D   weight decay 10^U(C,D) (default -8,-4)
          --train-size N      first N training images, validation included (default 500)
          --validation N      of those, how many are held out for validation (default 20%)
          --top K             trials to show, best first (default 10)
          --seed N            seed for the split, the samples and each trial (default 1)
          --backend B         auto (default), cuda, opencl, ilgpu-cpu, cpu
          --data DIR          MNIST-format IDX folder (default: $DEEPGPU_DATA, ~/.cache/deepgpu/mnist, then the embedded sample)
          --json              print the shown trials as one JSON object
        The net is the book's 784-100x6-10 (ReLU, He) trained by SGD, batch 100; the test set is never used.
        examples:
          deepgpu tune
          deepgpu tune --trials 20 --epochs 10 --lr-range -4,-1 --top 5

        """;

    private static readonly HashSet<string> ValueOptions =
        ["trials", "epochs", "lr-range", "decay-range", "train-size", "validation", "top", "seed", "backend", "data"];
    private static readonly HashSet<string> FlagOptions = ["json"];

    public int Run(IReadOnlyList<string> args, Console2 console)
    {
        var a = new Arguments(args, ValueOptions, FlagOptions);
        if (a.Positionals.Count > 0) throw new UsageException($"Unexpected argument '{a.Positionals[0]}'.");
        var trainSize = a.PositiveInt("train-size", 500);
        int? validation = a.Value("validation") is null ? null : a.PositiveInt("validation", 1);
        if (validation >= trainSize)
        {
            throw new UsageException($"--validation {validation} must be smaller than --train-size {trainSize}, so some images are left to train on.");
        }
        if (validation is null && trainSize < 5) throw new UsageException($"--train-size must be at least 5 to hold out 20% for validation, not {trainSize}.");
        var options = new HyperparameterSearchOptions
        {
            Trials = a.PositiveInt("trials", 100),
            Epochs = a.PositiveInt("epochs", 50),
            LearningRateExponents = Range(a, "lr-range", (-6, -2)),
            WeightDecayExponents = Range(a, "decay-range", (-8, -4)),
            TrainSize = trainSize,
            ValidationSize = validation,
            Seed = a.Seed("seed", 1),
        };
        var top = a.PositiveInt("top", 10);
        var json = a.Flag("json");
        var backendName = a.Choice("backend", "auto", TrainCommand.BackendNames);

        var data = Mnist.Load(new MnistOptions { DataDir = a.Value("data") });
        console.Err.WriteLine($"data: {data.Description}");
        using var backend = TrainCommand.CreateBackend(backendName, console.Err);
        var (train, held) = HyperparameterSearch.Split(data.Train, options);
        console.Err.WriteLine($"search: {options.Trials} trials of {options.Epochs} epochs on {train.Count} training images, scored on {held.Count} validation images split from the training set");
        var clock = Stopwatch.StartNew();
        var trials = HyperparameterSearch.Run(data.Train, backend, options, new TrialProgress(console.Err, options.Trials));
        var seconds = clock.Elapsed.TotalSeconds;
        var shown = trials.Take(top).ToList();

        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                trials = options.Trials,
                epochs = options.Epochs,
                trainImages = train.Count,
                validationImages = held.Count,
                seconds,
                best = shown.Select((t, i) => new
                {
                    rank = i + 1,
                    trial = t.Index + 1,
                    validationAccuracy = t.ValidationAccuracy,
                    trainAccuracy = t.TrainAccuracy,
                    learningRate = t.LearningRate,
                    weightDecay = t.WeightDecay,
                    diverged = t.Diverged,
                }),
            }, CliJson.Options));
            return 0;
        }
        var o = console.Out;
        o.WriteLine($"best {shown.Count} of {trials.Count} trials by validation accuracy ({seconds.ToString("F1", CultureInfo.InvariantCulture)} s on {backend.Name}):");
        o.WriteLine("rank  val acc  train acc  learning rate  weight decay  trial");
        for (var i = 0; i < shown.Count; i++)
        {
            var t = shown[i];
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{i + 1,4}  {t.ValidationAccuracy,7:P1}  {t.TrainAccuracy,9:P1}  {t.LearningRate,13:0.00E+00}  {t.WeightDecay,12:0.00E+00}  {t.Index + 1,5}{(t.Diverged ? "  diverged" : "")}"));
        }
        return 0;
    }

    private static (double, double) Range(Arguments a, string name, (double, double) fallback)
    {
        var text = a.Value(name);
        if (text is null) return fallback;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lo)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var hi)
            && double.IsFinite(lo) && double.IsFinite(hi) && lo < hi && lo >= -30 && hi <= 10)
        {
            return (lo, hi);
        }
        throw new UsageException($"--{name} must be two base-10 exponents, smaller first, such as -6,-2, not '{text}'.");
    }

    private sealed class TrialProgress(TextWriter err, int total) : IProgress<Trial>
    {
        public void Report(Trial t) => err.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trial {t.Index + 1}/{total}: validation accuracy {t.ValidationAccuracy:P1}, lr {t.LearningRate:0.00E+00}, weight decay {t.WeightDecay:0.00E+00}{(t.Diverged ? " (diverged)" : "")}"));
    }
}
