using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepGpu.Data;
using DeepGpu.Experiments;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu tune: the book's random search for learning rate and weight decay on a validation split of the training data.</summary>
internal sealed class TuneCommand : CliCommand
{
    private readonly Option<int> _trials = CliOptions.PositiveInt("--trials", 100, "trials");
    private readonly Option<int> _epochs = CliOptions.PositiveInt("--epochs", 50, "epochs per trial");
    private readonly Option<(double, double)> _lrRange = Range("--lr-range", "A,B", "learning rate 10^U(A,B)", (-6, -2));
    private readonly Option<(double, double)> _decayRange = Range("--decay-range", "C,D", "weight decay 10^U(C,D)", (-8, -4));
    private readonly Option<int> _trainSize = CliOptions.PositiveInt("--train-size", 500, "first N training images, validation included");
    private readonly Option<int?> _validation = CliOptions.OptionalPositiveInt("--validation", "of those, how many are held out for validation (default 20%)");
    private readonly Option<int> _top = CliOptions.PositiveInt("--top", 10, "trials to show, best first", "K");
    private readonly Option<ulong> _seed = CliOptions.Seed("seed for the split, the samples and each trial");
    private readonly Option<string> _backend = CliOptions.Backend();
    private readonly Option<string?> _data = CliOptions.Data();
    private readonly Option<bool> _json = CliOptions.Flag("--json", "print the shown trials as one JSON object");

    public TuneCommand() : base("tune", "random search for learning rate and weight decay, scored on a validation split of the training data")
    {
        foreach (var option in new Option[] { _trials, _epochs, _lrRange, _decayRange, _trainSize, _validation, _top, _seed, _backend, _data, _json })
        {
            Options.Add(option);
        }
    }

    public override string Details => """
        The net is the book's 784-100x6-10 (ReLU, He) trained by SGD, batch 100; the test set is never used.
        examples:
          deepgpu tune
          deepgpu tune --trials 20 --epochs 10 --lr-range -4,-1 --top 5

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var trainSize = parse.GetValue(_trainSize);
        var validation = parse.GetValue(_validation);
        if (validation >= trainSize)
        {
            throw new UsageException($"--validation {validation} must be smaller than --train-size {trainSize}, so some images are left to train on.");
        }
        if (validation is null && trainSize < 5) throw new UsageException($"--train-size must be at least 5 to hold out 20% for validation, not {trainSize}.");
        var options = new HyperparameterSearchOptions
        {
            Trials = parse.GetValue(_trials),
            Epochs = parse.GetValue(_epochs),
            LearningRateExponents = parse.GetValue(_lrRange),
            WeightDecayExponents = parse.GetValue(_decayRange),
            TrainSize = trainSize,
            ValidationSize = validation,
            Seed = parse.GetValue(_seed),
        };
        var top = parse.GetValue(_top);
        var json = parse.GetValue(_json);
        var backendName = parse.GetValue(_backend)!;

        var data = Mnist.Load(new MnistOptions { DataDir = parse.GetValue(_data) });
        terminal.Err.WriteLine($"data: {data.Description}");
        using var backend = BackendChoice.Create(backendName, terminal.Err);
        var (train, held) = HyperparameterSearch.Split(data.Train, options);
        terminal.Err.WriteLine($"search: {options.Trials} trials of {options.Epochs} epochs on {train.Count} training images, scored on {held.Count} validation images split from the training set");
        var clock = Stopwatch.StartNew();
        var trials = HyperparameterSearch.Run(data.Train, backend, options, new TrialProgress(terminal.Err, options.Trials));
        var seconds = clock.Elapsed.TotalSeconds;
        var shown = trials.Take(top).ToList();

        if (json)
        {
            terminal.Out.WriteLine(JsonSerializer.Serialize(new
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
        var o = terminal.Out;
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

    /// <summary>Two base-10 exponents, smaller first.</summary>
    private static Option<(double, double)> Range(string name, string helpName, string description, (double, double) fallback) => new(name)
    {
        HelpName = helpName,
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = r =>
        {
            var text = r.Tokens[^1].Value;
            if (TryRange(text, out var range)) return range;
            r.AddError($"{name} must be two base-10 exponents, smaller first, such as {fallback.Item1},{fallback.Item2}, not '{text}'.");
            return fallback;
        },
    };

    private static bool TryRange(string text, out (double, double) range)
    {
        range = default;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lo)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var hi)
            && double.IsFinite(lo) && double.IsFinite(hi) && lo < hi && lo >= -30 && hi <= 10)
        {
            range = (lo, hi);
            return true;
        }
        return false;
    }

    private sealed class TrialProgress(TextWriter err, int total) : IProgress<Trial>
    {
        public void Report(Trial t) => err.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trial {t.Index + 1}/{total}: validation accuracy {t.ValidationAccuracy:P1}, lr {t.LearningRate:0.00E+00}, weight decay {t.WeightDecay:0.00E+00}{(t.Diverged ? " (diverged)" : "")}"));
    }
}
