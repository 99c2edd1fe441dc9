using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DeepGpu.Data;
using DeepGpu.Experiments;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu experiment: runs one of the book's chapter-6 comparisons and writes its curves as CSV.</summary>
internal sealed class ExperimentCommand : CliCommand
{
    private readonly Argument<string> _name;
    private readonly Option<string> _out = new("--out") { HelpName = "DIR", Description = "where to write NAME.csv and NAME.svg", DefaultValueFactory = _ => "experiments" };
    private readonly Option<int> _iterations = CliOptions.PositiveInt("--iterations", 2000, "optimizers, init: iterations");
    private readonly Option<int?> _epochs = CliOptions.OptionalPositiveInt("--epochs", "batchnorm (default 20), overfit (default 200)");
    private readonly Option<int?> _trainSize = CliOptions.OptionalPositiveInt("--train-size", "training images used (default: all; batchnorm 1000; overfit 300)");
    private readonly Option<int?> _testSize = CliOptions.OptionalPositiveInt("--test-size", "overfit: test images scored each epoch (default: all)");
    private readonly Option<int> _scales = CliOptions.PositiveInt("--scales", 16, "batchnorm: weight scales from 1 to 1e-4");
    private readonly Option<ulong> _seed = CliOptions.Seed("seed for weights, batches and dropout");
    private readonly Option<string> _backend = CliOptions.Backend();
    private readonly Option<string?> _data = CliOptions.Data();

    // Options that size only some experiments: naming one for another experiment is a mistake, not a no-op.
    private readonly (Option Option, string[] Experiments)[] _optionScope;

    public ExperimentCommand() : base("experiment", "run a book comparison (optimizers, init, batchnorm, overfit) and write its curves as CSV")
    {
        _name = Required(new Argument<string>("NAME") { HelpName = "NAME", Description = string.Join(", ", BookExperiments.Names) },
            $"Name an experiment: {string.Join(", ", BookExperiments.Names)}.");
        _name.CompletionSources.Add(BookExperiments.Names.ToArray());
        foreach (var option in new Option[] { _out, _iterations, _epochs, _trainSize, _testSize, _scales, _seed, _backend, _data }) Options.Add(option);
        _optionScope =
        [
            (_iterations, ["optimizers", "init"]),
            (_epochs, ["batchnorm", "overfit"]),
            (_scales, ["batchnorm"]),
            (_testSize, ["overfit"]),
        ];
    }

    public override string Details => """
        experiments:
          optimizers   SGD, Momentum, AdaGrad, Adam on 784-100x4-10 (loss per iteration)
          init         weights of std 0.01, Xavier, He with SGD (loss per iteration)
          batchnorm    with and without batch norm over 16 weight scales, 1000 images (accuracy per epoch)
          overfit      300 images: plain, weight decay 0.1, dropout 0.2 (train and test accuracy per epoch)
        examples:
          deepgpu experiment optimizers --out runs
          deepgpu experiment overfit --epochs 50 --backend cpu

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var name = parse.GetValue(_name)!;
        if (!BookExperiments.Names.Contains(name))
        {
            throw new UsageException($"There is no experiment '{name}'; choose one of {string.Join(", ", BookExperiments.Names)}.");
        }
        foreach (var (option, experiments) in _optionScope)
        {
            if (Given(parse, option) && !experiments.Contains(name))
            {
                throw new UsageException($"{option.Name} applies to {string.Join(" and ", experiments)}, not {name}.");
            }
        }
        var outDir = parse.GetValue(_out)!;
        if (File.Exists(outDir)) throw new UsageException($"--out {outDir} is a file; give a directory.");
        var options = new ExperimentOptions
        {
            Iterations = parse.GetValue(_iterations),
            Epochs = parse.GetValue(_epochs),
            TrainSize = parse.GetValue(_trainSize),
            TestSize = parse.GetValue(_testSize),
            Scales = parse.GetValue(_scales),
            Seed = parse.GetValue(_seed),
            Progress = new Progress(terminal.Err),
        };
        var backendName = parse.GetValue(_backend)!;

        var data = Mnist.Load(new MnistOptions { DataDir = parse.GetValue(_data) });
        terminal.Err.WriteLine($"data: {data.Description}");
        using var backend = BackendChoice.Create(backendName, terminal.Err);
        var clock = Stopwatch.StartNew();
        var result = BookExperiments.Run(name, data.Train, data.Test, backend, options with { TestSetName = data.TestIsHeldOut ? "validation" : "test" });
        var seconds = clock.Elapsed.TotalSeconds;

        var csv = Path.Combine(outDir, name + ".csv");
        result.WriteCsv(csv);
        var chart = Path.Combine(outDir, name + ".svg");
        ExperimentChart.Write(result, chart);

        var o = terminal.Out;
        o.WriteLine(result.Title);
        foreach (var line in Summarize(result)) o.WriteLine("  " + line);
        foreach (var note in result.Notes) o.WriteLine($"note: {note}");
        o.WriteLine($"conclusion: {result.Conclusion}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {csv} and {chart} ({seconds:F1} s on {backend.Name})"));
        return 0;
    }

    /// <summary>One line per curve: its final value (losses: the mean of the last 5% of iterations, which is less noisy).</summary>
    private static IEnumerable<string> Summarize(ExperimentResult result)
    {
        var width = result.Curves.Max(c => c.Name.Length);
        foreach (var c in result.Curves)
        {
            if (c.Group == "smoothed") continue;
            var last = c.X.Length == 0 ? 0 : c.X[^1];
            if (result.YLabel == "loss")
            {
                var tail = Math.Max(1, c.Y.Length / 20);
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"{c.Name.PadRight(width)}  loss {c.TailMean(tail):F4} (mean of iterations {last - tail + 1:F0}-{last:F0}), last {c.Last:F4}");
            }
            else
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"{c.Name.PadRight(width)}  {result.YLabel} {c.Last:P1} after {last:F0} {result.XLabel}");
            }
        }
    }

    private sealed class Progress(TextWriter err) : IProgress<string>
    {
        public void Report(string value) => err.WriteLine(value);
    }
}
