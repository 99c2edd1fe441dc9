using System.Diagnostics;
using System.Globalization;
using DeepGpu.Data;
using DeepGpu.Experiments;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu experiment: runs one of the book's chapter-6 comparisons and writes its curves as CSV.</summary>
internal sealed class ExperimentCommand : ICommand
{
    public string Name => "experiment";
    public string Summary => "run a book comparison (optimizers, init, batchnorm, overfit) and write its curves as CSV";
    public string Usage => """
        usage: deepgpu experiment optimizers|init|batchnorm|overfit [options]
          optimizers   SGD, Momentum, AdaGrad, Adam on 784-100x4-10 (loss per iteration)
          init         weights of std 0.01, Xavier, He with SGD (loss per iteration)
          batchnorm    with and without batch norm over 16 weight scales, 1000 images (accuracy per epoch)
          overfit      300 images: plain, weight decay 0.1, dropout 0.2 (train and test accuracy per epoch)
          --out DIR           where to write <name>.csv (default: experiments)
          --iterations N      optimizers, init: iterations (default 2000)
          --epochs N          batchnorm (default 20), overfit (default 200)
          --train-size N      training images used (default: all; batchnorm 1000; overfit 300)
          --test-size N       overfit: test images scored each epoch (default: all)
          --scales N          batchnorm: weight scales from 1 to 1e-4 (default 16)
          --seed N            seed for weights, batches and dropout (default 1)
          --backend B         auto (default), cuda, opencl, ilgpu-cpu, cpu
          --data DIR          MNIST-format IDX folder (default: $DEEPGPU_DATA, ~/.cache/deepgpu/mnist, then the embedded sample)
        examples:
          deepgpu experiment optimizers --out runs
          deepgpu experiment overfit --epochs 50 --backend cpu

        """;

    private static readonly HashSet<string> ValueOptions =
        ["out", "iterations", "epochs", "train-size", "test-size", "scales", "seed", "backend", "data"];
    private static readonly HashSet<string> FlagOptions = [];

    // Options that size only some experiments: naming one for another experiment is a mistake, not a no-op.
    private static readonly (string Option, string[] Experiments)[] OptionScope =
    [
        ("iterations", ["optimizers", "init"]),
        ("epochs", ["batchnorm", "overfit"]),
        ("scales", ["batchnorm"]),
        ("test-size", ["overfit"]),
    ];

    public int Run(IReadOnlyList<string> args, Console2 console)
    {
        var a = new Arguments(args, ValueOptions, FlagOptions);
        if (a.Positionals.Count == 0) throw new UsageException($"Name an experiment: {string.Join(", ", BookExperiments.Names)}.");
        if (a.Positionals.Count > 1) throw new UsageException($"Unexpected argument '{a.Positionals[1]}'.");
        var name = a.Positionals[0];
        if (!BookExperiments.Names.Contains(name))
        {
            throw new UsageException($"There is no experiment '{name}'; choose one of {string.Join(", ", BookExperiments.Names)}.");
        }
        foreach (var (option, experiments) in OptionScope)
        {
            if (a.Value(option) is not null && !experiments.Contains(name))
            {
                throw new UsageException($"--{option} applies to {string.Join(" and ", experiments)}, not {name}.");
            }
        }
        var outDir = a.Text("out", "experiments");
        if (File.Exists(outDir)) throw new UsageException($"--out {outDir} is a file; give a directory.");
        var options = new ExperimentOptions
        {
            Iterations = a.PositiveInt("iterations", 2000),
            Epochs = a.Value("epochs") is null ? null : a.PositiveInt("epochs", 1),
            TrainSize = a.Value("train-size") is null ? null : a.PositiveInt("train-size", 1),
            TestSize = a.Value("test-size") is null ? null : a.PositiveInt("test-size", 1),
            Scales = a.PositiveInt("scales", 16),
            Seed = a.Seed("seed", 1),
            Progress = new Progress(console.Err),
        };
        var backendName = a.Choice("backend", "auto", TrainCommand.BackendNames);

        var data = Mnist.Load(new MnistOptions { DataDir = a.Value("data") });
        console.Err.WriteLine($"data: {data.Description}");
        using var backend = TrainCommand.CreateBackend(backendName, console.Err);
        var clock = Stopwatch.StartNew();
        var result = BookExperiments.Run(name, data.Train, data.Test, backend, options with { TestSetName = data.TestIsHeldOut ? "validation" : "test" });
        var seconds = clock.Elapsed.TotalSeconds;

        var csv = Path.Combine(outDir, name + ".csv");
        result.WriteCsv(csv);
        var chart = Path.Combine(outDir, name + ".svg");
        ExperimentChart.Write(result, chart);

        var o = console.Out;
        o.WriteLine(result.Title);
        foreach (var line in Summarize(result)) o.WriteLine("  " + line);
        foreach (var note in result.Notes) o.WriteLine($"note: {note}");
        o.WriteLine($"lesson: {result.Lesson}");
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
