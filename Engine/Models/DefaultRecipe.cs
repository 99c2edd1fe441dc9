using System.Globalization;
using DeepGpu.Backends;
using DeepGpu.Data;
using DeepGpu.Data.Augmentation;
using DeepGpu.Graph;
using DeepGpu.Optimizers;
using DeepGpu.Training;

namespace DeepGpu.Models;

/// <summary>
/// How the default model (<see cref="Model.LoadDefault(Backend)"/>) is made: the book's DeepConvNet trained with
/// Adam on the embedded MNIST sample, every epoch on a freshly distorted copy of it (<see cref="DigitDistortion"/>),
/// so it reads slanted, thick, thin and wobbly digits as people draw them. Deterministic from the seed on a backend.
/// </summary>
public sealed record DefaultRecipe
{
    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 100;
    /// <summary>Adam's learning rate; a third of it after 70% of the epochs and a tenth after 90%, to settle the weights.</summary>
    public float LearningRate { get; init; } = 0.001f;
    public ulong Seed { get; init; } = 1;
    public DistortionOptions Distortion { get; init; } = new();

    /// <summary>The network trained.</summary>
    public NetworkSpec Network { get; init; } = Networks.DeepConvNet();

    /// <summary>One line for the model file's provenance.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Network.Name ?? "custom network"}, Adam lr {LearningRate} (a third of it after 70% of the epochs, a tenth after 90%), batch {BatchSize}, {Epochs} epochs, seed {Seed}; each epoch a fresh distorted copy of the training set: {Distortion}");

    /// <summary>
    /// Trains a new model on <paramref name="train"/>; after each epoch it is scored on <paramref name="check"/>
    /// (the official test set where there is one) and <paramref name="epochCompleted"/> hears of it.
    /// </summary>
    public Model Train(Backend backend, Dataset train, Dataset check, Action<EpochMetrics>? epochCompleted = null, CancellationToken cancel = default)
    {
        var model = Model.Create(Network, backend, Seed);
        try
        {
            var adam = Optimizer.Adam(LearningRate);
            try
            {
                for (var epoch = 1; epoch <= Epochs; epoch++)
                {
                    var rate = RateAt(epoch);
                    if (rate != adam.LearningRate) adam = Continue(adam, rate, model);
                    Epoch(model, adam, epoch, train, check, epochCompleted, cancel);
                }
            }
            finally
            {
                adam.Dispose();
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The learning rate of an epoch (1-based).</summary>
    public float RateAt(int epoch) =>
        epoch > 0.9 * Epochs ? LearningRate / 10 : epoch > 0.7 * Epochs ? LearningRate / 3 : LearningRate;

    private void Epoch(Model model, Optimizer adam, int epoch, Dataset train, Dataset check, Action<EpochMetrics>? epochCompleted, CancellationToken cancel)
    {
        var distorted = DigitDistortion.Apply(train, Distortion, Seed, (ulong)epoch);
        var trainer = new Trainer(model, adam, new TrainerOptions { Epochs = epoch, BatchSize = BatchSize, Seed = Seed }) { CompletedEpochs = epoch - 1 };
        if (epochCompleted is not null) trainer.EpochCompleted += epochCompleted;
        trainer.Fit(distorted, check, cancel);
    }

    // Adam with a new learning rate that carries on from where the old one was: same moments, same step count.
    private static Optimizer Continue(Optimizer old, float rate, Model model)
    {
        var next = Optimizer.Adam(rate);
        next.Bind(model.Backend, model.Network.ParameterCount);
        var values = new float[model.Network.ParameterCount];
        for (var i = 0; i < old.State.Count; i++)
        {
            model.Backend.Download<float>(old.State[i], values);
            model.Backend.Upload<float>(values, next.State[i]);
        }
        next.RestoreSteps(old.Steps);
        old.Dispose();
        return next;
    }
}
