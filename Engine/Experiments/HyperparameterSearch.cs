using DeepGpu.Backends;
using DeepGpu.Data;
using DeepGpu.Graph;
using DeepGpu.Kernels;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Training;

namespace DeepGpu.Experiments;

/// <summary>Settings of a random hyperparameter search (book ch.6.5); the defaults are the book's.</summary>
public sealed record HyperparameterSearchOptions
{
    /// <summary>Number of trials (book: 100).</summary>
    public int Trials { get; init; } = 100;

    /// <summary>Epochs each trial trains (book: 50).</summary>
    public int Epochs { get; init; } = 50;

    /// <summary>Learning rates are 10^u with u uniform in [min, max) (book: −6, −2).</summary>
    public (double Min, double Max) LearningRateExponents { get; init; } = (-6, -2);

    /// <summary>Weight decays λ are 10^u with u uniform in [min, max) (book: −8, −4).</summary>
    public (double Min, double Max) WeightDecayExponents { get; init; } = (-8, -4);

    /// <summary>Training images used, validation included: the first N of the training set (book: 500).</summary>
    public int TrainSize { get; init; } = 500;

    /// <summary>How many of them are held out for validation; null for 20% (book: validation_rate 0.2).</summary>
    public int? ValidationSize { get; init; }

    /// <summary>Mini-batch size (book: 100); smaller when the training part is smaller.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>The network every trial trains; null for the book's 784-100x6-10 ReLU net with He init.</summary>
    public NetworkSpec? Network { get; init; }

    /// <summary>Seeds the split, the sampled values, each trial's initial weights and its batch order.</summary>
    public ulong Seed { get; init; } = 1;
}

/// <summary>One trial of a search: the values tried and the validation accuracy they reached.</summary>
/// <param name="Index">0-based trial number (the order in which trials ran).</param>
/// <param name="ValidationAccuracy">After the last epoch; 0 for a trial whose loss diverged.</param>
/// <param name="TrainAccuracy">Running training accuracy of the last epoch; 0 for a diverged trial.</param>
/// <param name="Diverged">The loss became NaN or infinite and the trial stopped.</param>
/// <param name="ValidationAccuracies">Validation accuracy after each epoch that finished.</param>
public sealed record Trial(int Index, double LearningRate, double WeightDecay, double ValidationAccuracy, double TrainAccuracy,
    bool Diverged, IReadOnlyList<double> ValidationAccuracies);

/// <summary>
/// Random search over learning rate and weight decay (book ch.6.5): each trial samples both log-uniformly, trains
/// with SGD on a subset of the training data and is scored on a validation part split from that same training
/// data. It is never given the test set, so it cannot tune to it.
/// </summary>
public static class HyperparameterSearch
{
    /// <summary>The book's net for the search: 784-100x6-10, ReLU, He init (input and classes follow the data).</summary>
    public static NetworkSpec DefaultNetwork(Dataset data) =>
        Networks.Mlp([100, 100, 100, 100, 100, 100], Activation.Relu, classes: data.Classes, input: data.SampleShape.ToArray());

    /// <summary>
    /// The split a search trains and validates on: the first <see cref="HyperparameterSearchOptions.TrainSize"/>
    /// images of <paramref name="training"/>, shuffled by the seed, the first ValidationSize of them held out.
    /// </summary>
    /// <exception cref="DeepGpuException">The sizes do not fit the data.</exception>
    public static (Dataset Train, Dataset Validation) Split(Dataset training, HyperparameterSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(options);
        var total = options.TrainSize;
        if (total < 2) throw new DeepGpuException($"The search needs at least 2 training images to split, not {total}.");
        if (total > training.Count) throw new DeepGpuException($"The search asks for {total} training images but {training.Source} holds {training.Count}.");
        var validation = ValidationSize(options);
        if (validation < 1 || validation >= total)
        {
            throw new DeepGpuException($"The validation part must hold from 1 to {total - 1} of the {total} images, not {validation}.");
        }
        // The book shuffles x_train[:500] before holding out its first 20%.
        var order = Trainer.Shuffle(total, options.Seed, 0xA11D);
        var size = training.SampleShape.Size;
        var images = new byte[total * size];
        var labels = new byte[total];
        for (var i = 0; i < total; i++)
        {
            training.GetImage(order[i]).CopyTo(images.AsSpan(i * size, size));
            labels[i] = training.Labels[order[i]];
        }
        var shuffled = new Dataset(images, labels, training.SampleShape, training.Classes, $"{training.Source} (first {total}, shuffled)");
        return (shuffled.Slice(validation, total - validation), shuffled.Slice(0, validation));
    }

    /// <summary>The learning rate and weight decay of trial <paramref name="index"/>: 10^U(a, b) each, from the seed alone.</summary>
    public static (double LearningRate, double WeightDecay) Sample(HyperparameterSearchOptions options, int index)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stream = options.Seed ^ 0x5EA4C4UL;
        var u1 = Uniform(stream, 2 * (ulong)index);
        var u2 = Uniform(stream, 2 * (ulong)index + 1);
        var (a, b) = options.LearningRateExponents;
        var (c, d) = options.WeightDecayExponents;
        return (Math.Pow(10, a + (b - a) * u1), Math.Pow(10, c + (d - c) * u2));
    }

    /// <summary>
    /// Runs the search on <paramref name="training"/> (a training set: the validation part is split from it) and
    /// returns the trials, best validation accuracy first (ties: earlier trial first).
    /// </summary>
    /// <param name="progress">Told each trial as it finishes.</param>
    /// <exception cref="DeepGpuException">A setting is out of range or does not fit the data.</exception>
    public static IReadOnlyList<Trial> Run(Dataset training, Backend backend, HyperparameterSearchOptions? options = null,
        IProgress<Trial>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        options ??= new HyperparameterSearchOptions();
        Check(options);
        var (train, validation) = Split(training, options);
        var spec = options.Network ?? DefaultNetwork(train);
        var batch = Math.Min(options.BatchSize, train.Count);
        var trials = new List<Trial>();
        for (var i = 0; i < options.Trials; i++)
        {
            var (lr, decay) = Sample(options, i);
            var trialSeed = CounterRng.Next(options.Seed, 1000 + (ulong)i);
            using var model = Model.Create(spec, backend, trialSeed);
            using var optimizer = Optimizer.Sgd((float)lr);
            var trainer = new Trainer(model, optimizer, new TrainerOptions
            {
                Epochs = options.Epochs, BatchSize = batch, Seed = trialSeed, WeightDecay = (float)decay, ReportsPerEpoch = 1,
            });
            Trial trial;
            try
            {
                trainer.Fit(train, validation, cancel);
                var last = model.History[^1];
                trial = new Trial(i, lr, decay, last.TestAccuracy, last.TrainAccuracy, false, model.History.Select(h => h.TestAccuracy).ToArray());
            }
            catch (TrainingDivergedException)
            {
                trial = new Trial(i, lr, decay, 0, 0, true, model.History.Select(h => h.TestAccuracy).ToArray());
            }
            trials.Add(trial);
            progress?.Report(trial);
        }
        return trials.OrderByDescending(t => t.ValidationAccuracy).ThenBy(t => t.Index).ToArray();
    }

    private static int ValidationSize(HyperparameterSearchOptions options) =>
        options.ValidationSize ?? Math.Max(1, (int)(options.TrainSize * 0.2));

    private static void Check(HyperparameterSearchOptions options)
    {
        if (options.Trials < 1) throw new DeepGpuException($"The search needs at least one trial, not {options.Trials}.");
        if (options.Epochs < 1) throw new DeepGpuException($"Each trial needs at least one epoch, not {options.Epochs}.");
        if (options.BatchSize < 1) throw new DeepGpuException($"The batch size must be a positive number, not {options.BatchSize}.");
        CheckRange(options.LearningRateExponents, "learning-rate");
        CheckRange(options.WeightDecayExponents, "weight-decay");
    }

    private static void CheckRange((double Min, double Max) range, string what)
    {
        if (!double.IsFinite(range.Min) || !double.IsFinite(range.Max) || range.Min >= range.Max)
        {
            throw new DeepGpuException($"The {what} exponent range must run from a smaller to a larger finite number, not {range.Min} to {range.Max}.");
        }
    }

    // Uniform in [0, 1) with 53 bits from the counter-based generator, so a search is the same on every machine.
    private static double Uniform(ulong stream, ulong counter) => (CounterRng.Next(stream, counter) >> 11) * (1.0 / (1UL << 53));
}
