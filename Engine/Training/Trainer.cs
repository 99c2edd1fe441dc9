using System.Diagnostics;
using DeepGpu.Backends;
using DeepGpu.Data;
using DeepGpu.Kernels;
using DeepGpu.Layers;
using DeepGpu.Optimizers;

namespace DeepGpu.Training;

/// <summary>How to train: epochs, batch size, seed, regularisation and reporting.</summary>
public sealed record TrainerOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 100;
    /// <summary>Seeds the shuffles and dropout (the model's own seed set its initial weights).</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Weight decay λ: loss += 0.5·λ·ΣW², gradient += λ·W, over weights only.</summary>
    public float WeightDecay { get; init; }
    /// <summary>Random shifts, rotations and scaling of training images (book ch.8); null for none.</summary>
    public AugmentOptions? Augment { get; init; }
    /// <summary>Batch size for scoring the test set.</summary>
    public int EvaluationBatchSize { get; init; } = 500;
    /// <summary>How many times per epoch the running loss is read for progress (each read waits for the device).</summary>
    public int ReportsPerEpoch { get; init; } = 10;
}

/// <summary>Metrics of one finished epoch.</summary>
public sealed record EpochMetrics(int Epoch, int Epochs, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy,
    double Seconds, double ImagesPerSecond);

/// <summary>Progress inside an epoch.</summary>
public sealed record StepProgress(int Epoch, int Step, int StepsPerEpoch, double RunningLoss, double RunningAccuracy, double ImagesPerSecond);

/// <summary>Thrown when the loss becomes NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : DeepGpuException(message);

/// <summary>
/// Mini-batch training (book ch.4-6): each epoch shuffles the training set, runs floor(N / batch) steps of
/// gather → forward → backward → (weight decay) → update, all queued on the device, then scores the test set.
/// Metrics are summed on the device and read a few times per epoch.
/// </summary>
public sealed class Trainer(ITrainable model, Optimizer optimizer, TrainerOptions options)
{
    /// <summary>What is trained (a model).</summary>
    public ITrainable Model { get; } = model;
    public Optimizer Optimizer { get; } = optimizer;
    public TrainerOptions Options { get; } = options;

    /// <summary>Reported after every epoch.</summary>
    public event Action<EpochMetrics>? EpochCompleted;

    /// <summary>Reported a few times per epoch.</summary>
    public event Action<StepProgress>? Progress;

    /// <summary>Epochs done so far (a resumed run starts past 0).</summary>
    public int CompletedEpochs { get; set; }

    /// <summary>Called after each epoch with its number; checkpoints hook in here.</summary>
    public Action<int>? AfterEpoch { get; set; }

    /// <summary>Trains from <see cref="CompletedEpochs"/> to <see cref="TrainerOptions.Epochs"/>; returns the whole history, earlier epochs included.</summary>
    public IReadOnlyList<EpochMetrics> Fit(Dataset train, Dataset test, CancellationToken cancel = default)
    {
        var batch = Options.BatchSize;
        if (batch <= 0) throw new DeepGpuException($"The batch size must be a positive number, not {batch}.");
        if (train.Count < batch) throw new DeepGpuException($"The training set has {train.Count} images, fewer than one batch of {batch}.");
        if (train.SampleShape.Size != Model.Network.InputShape.Size)
        {
            throw new DeepGpuException($"The data's samples are {train.SampleShape} but the network takes {Model.Network.InputShape}.");
        }
        var backend = Model.Backend;
        if (Options.Augment is not null && !backend.CanAugment())
        {
            throw new DeepGpuException($"The {backend.Name} backend cannot augment images; train without augmentation or on another backend.");
        }
        using var trainData = new DeviceDataset(backend, train);
        using var testData = new DeviceDataset(backend, test);
        trainData.RequireLabelsBelow(Model.Network.Classes);
        testData.RequireLabelsBelow(Model.Network.Classes);
        using var trainStep = new TrainingStep(Model, Optimizer, Options, trainData);
        var plan = trainStep.Plan;
        var steps = train.Count / batch;
        var reportEvery = Math.Max(1, steps / Math.Max(1, Options.ReportsPerEpoch));

        for (var epoch = CompletedEpochs + 1; epoch <= Options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            trainData.SetOrder(Shuffle(train.Count, Options.Seed, (ulong)epoch));
            plan.ResetMetrics();
            for (var step = 0; step < steps; step++)
            {
                cancel.ThrowIfCancellationRequested();
                trainStep.Run(step * batch, (ulong)((epoch - 1) * steps + step));

                if ((step + 1) % reportEvery == 0 && step + 1 < steps && Progress is not null)
                {
                    var m = plan.ReadMetrics();
                    CheckFinite(m.LossSum, epoch);
                    var done = step + 1;
                    Progress(new StepProgress(epoch, done, steps, m.LossSum / done, m.Correct / (done * batch), done * batch / clock.Elapsed.TotalSeconds));
                }
            }
            var metrics = plan.ReadMetrics();
            var trainSeconds = clock.Elapsed.TotalSeconds;
            var trainLoss = metrics.LossSum / steps;
            CheckFinite(trainLoss, epoch);
            var (testLoss, testAccuracy) = Model.Evaluate(testData, Options.EvaluationBatchSize);
            var result = new EpochMetrics(epoch, Options.Epochs, trainLoss, metrics.Correct / (steps * batch), testLoss, testAccuracy,
                clock.Elapsed.TotalSeconds, steps * batch / trainSeconds);
            Model.History.Add(result);
            CompletedEpochs = epoch;
            EpochCompleted?.Invoke(result);
            AfterEpoch?.Invoke(epoch);
        }
        return [.. Model.History];
    }

    private static void CheckFinite(double loss, int epoch)
    {
        if (!double.IsFinite(loss))
        {
            throw new TrainingDivergedException($"Training stopped in epoch {epoch}: the loss became {(double.IsNaN(loss) ? "NaN" : "infinite")}; try a smaller learning rate.");
        }
    }

    /// <summary>A permutation of 0..n-1 drawn from (seed, epoch): the same on every backend.</summary>
    public static int[] Shuffle(int n, ulong seed, ulong epoch)
    {
        var order = Enumerable.Range(0, n).ToArray();
        var stream = seed ^ (epoch * 0x9E3779B97F4A7C15UL);
        for (var i = n - 1; i > 0; i--)
        {
            var j = (int)(CounterRng.Next(stream, (ulong)i) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
