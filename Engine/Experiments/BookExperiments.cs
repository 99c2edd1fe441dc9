using System.Globalization;
using DeepGpu.Backends;
using DeepGpu.Data;
using DeepGpu.Graph;
using DeepGpu.Initializers;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Training;

namespace DeepGpu.Experiments;

/// <summary>
/// The comparisons of the book's chapter 6 as data: each trains a few small networks and returns their loss or
/// accuracy curves and what they show. Sizes come from <see cref="ExperimentOptions"/>, so tiny versions run
/// in tests and the book's versions from the command line.
/// </summary>
public static class BookExperiments
{
    /// <summary>The experiments <see cref="Run"/> knows, in the book's order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["optimizers", "init", "batchnorm", "overfit"];

    /// <summary>Batch size of the iteration-based comparisons (optimizers, init), as in the book.</summary>
    public const int IterationBatchSize = 128;

    /// <summary>Batch size of the epoch-based ones (batchnorm, overfit), as in the book.</summary>
    public const int EpochBatchSize = 100;

    /// <summary>Runs the experiment named <paramref name="name"/> (one of <see cref="Names"/>).</summary>
    /// <param name="train">The training set; the experiments take its first images.</param>
    /// <param name="test">The test set (only overfit scores it).</param>
    /// <exception cref="DeepGpuException">The name is unknown or a size does not fit the data.</exception>
    public static ExperimentResult Run(string name, Dataset train, Dataset test, Backend backend, ExperimentOptions? options = null) => name switch
    {
        "optimizers" => Optimizers(train, backend, options),
        "init" => Init(train, backend, options),
        "batchnorm" => BatchNorm(train, backend, options),
        "overfit" => Overfit(train, test, backend, options),
        _ => throw new DeepGpuException($"There is no experiment named '{name}'; the experiments are {string.Join(", ", Names)}."),
    };

    /// <summary>
    /// Book fig. 6-9: a 784-100x4-10 ReLU net with He init trained by SGD, Momentum, AdaGrad and Adam at their
    /// default settings, batch 128; the training loss of every iteration, raw and smoothed (the book's
    /// <c>smooth_curve</c>). Every optimizer starts from the same weights and sees the same batches.
    /// </summary>
    public static ExperimentResult Optimizers(Dataset train, Backend backend, ExperimentOptions? options = null)
    {
        options ??= new ExperimentOptions();
        var data = Subset(train, options.TrainSize, "optimizers");
        var spec = Mlp(data, [100, 100, 100, 100], WeightInit.He);
        var runs = new (string Name, Func<Optimizer> Create)[]
        {
            ("sgd", () => Optimizer.Sgd()),
            ("momentum", () => Optimizer.Momentum()),
            ("adagrad", () => Optimizer.AdaGrad()),
            ("adam", () => Optimizer.Adam()),
        };
        var curves = IterationCurves(data, backend, options, runs.Select(r => (r.Name, spec, r.Create)).ToList());
        return new ExperimentResult("optimizers", "Optimizers on MNIST (784-100x4-10, ReLU, He init, batch 128)", "iterations", "loss", curves,
            Conclusions.Losses(curves.Where(c => c.Group == "raw").ToList()));
    }

    /// <summary>
    /// Book fig. 6-15: the same 784-100x4-10 ReLU net with weights of std 0.01, Xavier and He, trained by SGD
    /// (lr 0.01), batch 128; loss per iteration, raw and smoothed.
    /// </summary>
    public static ExperimentResult Init(Dataset train, Backend backend, ExperimentOptions? options = null)
    {
        options ??= new ExperimentOptions();
        var data = Subset(train, options.TrainSize, "init");
        int[] hidden = [100, 100, 100, 100];
        var runs = new (string, NetworkSpec, Func<Optimizer>)[]
        {
            ("std 0.01", Mlp(data, hidden, WeightInit.Normal(0.01f)), () => Optimizer.Sgd(0.01f)),
            ("xavier", Mlp(data, hidden, WeightInit.Xavier), () => Optimizer.Sgd(0.01f)),
            ("he", Mlp(data, hidden, WeightInit.He), () => Optimizer.Sgd(0.01f)),
        };
        var curves = IterationCurves(data, backend, options, runs);
        return new ExperimentResult("init", "Weight initialisation on MNIST (784-100x4-10, ReLU, SGD lr 0.01, batch 128)", "iterations", "loss", curves,
            Conclusions.Losses(curves.Where(c => c.Group == "raw").ToList()));
    }

    /// <summary>
    /// Book fig. 6-19: a 784-100x5-10 ReLU net on the first 1000 training images, with and without batch
    /// normalisation, SGD lr 0.01, batch 100, for each of <see cref="ExperimentOptions.Scales"/> initial weight
    /// stds log-spaced from 1 to 1e-4; the accuracy on those 1000 images (inference mode) after each epoch.
    /// Curves come in pairs, grouped by std ("std 0.541": "std 0.541, batch norm" and "std 0.541, no batch norm").
    /// </summary>
    public static ExperimentResult BatchNorm(Dataset train, Backend backend, ExperimentOptions? options = null)
    {
        options ??= new ExperimentOptions();
        if (options.Scales < 1) throw new DeepGpuException($"The batch-norm grid needs at least one weight scale, not {options.Scales}.");
        var data = Subset(train, options.TrainSize ?? 1000, "batchnorm");
        var epochs = Epochs(options, 20);
        var curves = new List<Curve>();
        var notes = new List<string>();
        foreach (var std in Scales(options.Scales))
        {
            var group = "std " + Format(std);
            foreach (var batchNorm in new[] { true, false })
            {
                var spec = Networks.Mlp([100, 100, 100, 100, 100], Activation.Relu, WeightInit.Normal((float)std), batchNorm,
                    classes: data.Classes, input: data.SampleShape.ToArray());
                using var model = Model.Create(spec, backend, options.Seed);
                using var optimizer = Optimizer.Sgd(0.01f);
                var trainer = new Trainer(model, optimizer, new TrainerOptions { Epochs = epochs, BatchSize = Math.Min(EpochBatchSize, data.Count), Seed = options.Seed });
                var name = $"{group}, {(batchNorm ? "batch norm" : "no batch norm")}";
                var accuracy = new List<double>();
                try
                {
                    // The "test" set of this run is the training subset itself: the book plots training accuracy, scored in inference mode.
                    accuracy.AddRange(Fit(trainer, data, data).Select(h => h.TestAccuracy));
                }
                catch (TrainingDivergedException)
                {
                    // A large scale without batch norm can overflow (the book's NumPy run carries on with NaN weights and
                    // scores chance). The weights are NaN from here on and no SGD step can repair them, so the
                    // remaining epochs score as the diverged net does.
                    accuracy.AddRange(model.History.Select(h => h.TestAccuracy));
                    var stopped = accuracy.Count + 1;
                    var score = model.Evaluate(data).Accuracy;
                    while (accuracy.Count < epochs) accuracy.Add(double.IsFinite(score) ? score : 0);
                    notes.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{name}: the loss overflowed in epoch {stopped}; from there the curve scores the diverged (NaN) weights, {accuracy[^1]:P0}."));
                }
                curves.Add(new Curve(name, Enumerable.Range(1, epochs).Select(e => (double)e).ToArray(), accuracy.ToArray(), group));
                options.Progress?.Report($"{name}: train accuracy {accuracy[^1].ToString("F3", CultureInfo.InvariantCulture)} after {epochs} epochs");
            }
        }
        return new ExperimentResult("batchnorm", $"Batch normalisation ({data.Count} images, 784-100x5-10, SGD lr 0.01)", "epochs", "training accuracy", curves,
            Conclusions.BatchNorm(curves))
        {
            Notes = notes,
        };
    }

    /// <summary>
    /// Book figs. 6-20 to 6-22: a 784-100x6-10 ReLU net (He init) on the first 300 training images, SGD lr 0.01,
    /// batch 100, trained plain, with weight decay λ 0.1 and with dropout 0.2; train and test accuracy
    /// (inference mode) after each epoch. Curves are "plain, train", "plain, test", "weight decay 0.1, train", …
    /// </summary>
    public static ExperimentResult Overfit(Dataset train, Dataset test, Backend backend, ExperimentOptions? options = null)
    {
        options ??= new ExperimentOptions();
        ArgumentNullException.ThrowIfNull(test);
        var data = Subset(train, options.TrainSize ?? 300, "overfit");
        var testData = options.TestSize is { } t ? Subset(test, t, "overfit") : test;
        var epochs = Epochs(options, 200);
        var curves = new List<Curve>();
        using var trainDevice = new DeviceDataset(backend, data);
        foreach (var (label, decay, dropout) in new[] { ("plain", 0f, 0f), ("weight decay 0.1", 0.1f, 0f), ("dropout 0.2", 0f, 0.2f) })
        {
            var spec = Networks.Mlp([100, 100, 100, 100, 100, 100], Activation.Relu, WeightInit.He, dropout: dropout,
                classes: data.Classes, input: data.SampleShape.ToArray());
            using var model = Model.Create(spec, backend, options.Seed);
            using var optimizer = Optimizer.Sgd(0.01f);
            var trainer = new Trainer(model, optimizer, new TrainerOptions
            {
                Epochs = epochs, BatchSize = Math.Min(EpochBatchSize, data.Count), Seed = options.Seed, WeightDecay = decay,
            });
            var trainAccuracy = new List<double>();
            trainer.EpochCompleted += _ => trainAccuracy.Add(model.Evaluate(trainDevice).Accuracy);
            var history = Fit(trainer, data, testData);
            var x = history.Select(h => (double)h.Epoch).ToArray();
            curves.Add(new Curve($"{label}, train", x, trainAccuracy.ToArray(), label));
            curves.Add(new Curve($"{label}, {options.TestSetName}", x, history.Select(h => h.TestAccuracy).ToArray(), label));
            options.Progress?.Report(string.Create(CultureInfo.InvariantCulture,
                $"{label}: train accuracy {trainAccuracy[^1]:F3}, {options.TestSetName} accuracy {history[^1].TestAccuracy:F3} after {epochs} epochs"));
        }
        return new ExperimentResult("overfit", $"Overfitting ({data.Count} training images, 784-100x6-10, SGD lr 0.01)", "epochs", "accuracy", curves,
            Conclusions.Overfit(curves, options.TestSetName));
    }

    /// <summary>The weight stds of the batch-norm grid: <paramref name="count"/> values log-spaced from 1 down to 1e-4 (numpy's logspace(0, -4, count)).</summary>
    public static double[] Scales(int count) =>
        count == 1 ? [1.0] : Enumerable.Range(0, count).Select(i => Math.Pow(10, -4.0 * i / (count - 1))).ToArray();

    /// <summary>
    /// The book's <c>smooth_curve</c>: a Kaiser window of 11 points (β 2) over the values, reflected at both ends.
    /// Fewer than 11 values come back unchanged.
    /// </summary>
    public static double[] Smooth(IReadOnlyList<double> values)
    {
        const int window = 11;
        var n = values.Count;
        if (n < window) return values.ToArray();
        var w = new double[window];
        for (var k = 0; k < window; k++)
        {
            var r = 2.0 * k / (window - 1) - 1;
            w[k] = BesselI0(2.0 * Math.Sqrt(1 - r * r));
        }
        var total = w.Sum();
        // s = x[10..1] reversed, x, x[n-1..n-10] (numpy's np.r_[x[w-1:0:-1], x, x[-1:-w:-1]])
        var s = new double[n + 2 * (window - 1)];
        for (var i = 0; i < window - 1; i++) s[i] = values[window - 1 - i];
        for (var i = 0; i < n; i++) s[window - 1 + i] = values[i];
        for (var i = 0; i < window - 1; i++) s[window - 1 + n + i] = values[n - 1 - i];
        var result = new double[n];
        for (var i = 0; i < n; i++)
        {
            double sum = 0;
            for (var k = 0; k < window; k++) sum += w[k] * s[i + 5 + k];
            result[i] = sum / total;
        }
        return result;
    }

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1;
        for (var k = 1; k < 30; k++)
        {
            term *= x * x / (4.0 * k * k);
            sum += term;
        }
        return sum;
    }

    /// <summary>
    /// Trains each run for <see cref="ExperimentOptions.Iterations"/> steps of batch 128 and records the loss of every
    /// step (the batch's loss before its update). Batches are drawn like the book's per-iteration random choice, as
    /// consecutive slices of a fresh seeded shuffle each pass through the data, the same for every run.
    /// </summary>
    private static List<Curve> IterationCurves(Dataset data, Backend backend, ExperimentOptions options,
        IReadOnlyList<(string Name, NetworkSpec Spec, Func<Optimizer> Create)> runs)
    {
        var iterations = options.Iterations;
        if (iterations < 1) throw new DeepGpuException($"The number of iterations must be a positive number, not {iterations}.");
        var batch = Math.Min(IterationBatchSize, data.Count);
        var raw = new List<Curve>();
        var smoothed = new List<Curve>();
        var x = Enumerable.Range(1, iterations).Select(i => (double)i).ToArray();
        using var device = new DeviceDataset(backend, data);
        foreach (var (name, spec, create) in runs)
        {
            using var model = Model.Create(spec, backend, options.Seed);
            using var optimizer = create();
            var losses = TrainSteps(model, optimizer, device, iterations, batch, options.Seed);
            raw.Add(new Curve(name, x, losses, "raw"));
            smoothed.Add(new Curve(name + " (smoothed)", x, Smooth(losses), "smoothed"));
            options.Progress?.Report(string.Create(CultureInfo.InvariantCulture,
                $"{name}: loss {new Curve(name, x, losses).TailMean(Math.Max(1, iterations / 20)):F4} (mean of the last {Math.Max(1, iterations / 20)} iterations) after {iterations} iterations"));
        }
        return [.. raw, .. smoothed];
    }

    private static double[] TrainSteps(Model model, Optimizer optimizer, DeviceDataset data, int iterations, int batch, ulong seed)
    {
        var plan = model.GetPlan(batch);
        if (!optimizer.IsBound) optimizer.Bind(model.Backend, model.Network.ParameterCount);
        var perPass = data.Count / batch;
        var losses = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var slot = i % perPass;
            if (slot == 0) data.SetOrder(Trainer.Shuffle(data.Count, seed, (ulong)(i / perPass + 1)));
            plan.ResetMetrics();
            data.Gather(slot * batch, batch, plan.Input, plan.Labels);
            plan.Forward(new PassInfo(true, seed, (ulong)i));
            plan.Backward();
            optimizer.Step(model.Parameters, model.Gradients);
            // One read per step: the experiment wants every step's loss, so it pays a device wait per step.
            var loss = plan.ReadMetrics().LossSum;
            if (!float.IsFinite(loss))
            {
                throw new TrainingDivergedException($"Training stopped at iteration {i + 1}: the loss became {(float.IsNaN(loss) ? "NaN" : "infinite")}.");
            }
            losses[i] = loss;
        }
        return losses;
    }

    private static IReadOnlyList<EpochMetrics> Fit(Trainer trainer, Dataset train, Dataset test)
    {
        return trainer.Fit(train, test);
    }

    private static NetworkSpec Mlp(Dataset data, int[] hidden, WeightInit init) =>
        Networks.Mlp(hidden, Activation.Relu, init, classes: data.Classes, input: data.SampleShape.ToArray());

    private static Dataset Subset(Dataset data, int? size, string experiment)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (size is not { } n) return data;
        if (n < 1) throw new DeepGpuException($"The {experiment} experiment needs a positive number of images, not {n}.");
        if (n > data.Count) throw new DeepGpuException($"The {experiment} experiment asks for {n} images but {data.Source} holds {data.Count}.");
        return data.Take(n);
    }

    private static int Epochs(ExperimentOptions options, int book)
    {
        var epochs = options.Epochs ?? book;
        return epochs >= 1 ? epochs : throw new DeepGpuException($"The number of epochs must be a positive number, not {epochs}.");
    }

    private static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
}
