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
    public float LearningRate { get; init; } = 0.001f;
    public ulong Seed { get; init; } = 1;
    public DistortionOptions Distortion { get; init; } = new();

    /// <summary>The network trained.</summary>
    public NetworkSpec Network { get; init; } = Networks.DeepConvNet();

    /// <summary>One line for the model file's provenance.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Network.Name ?? "custom network"}, Adam lr {LearningRate}, batch {BatchSize}, {Epochs} epochs, seed {Seed}; each epoch a fresh distorted copy of the training set: {Distortion}");

    /// <summary>
    /// Trains a new model on <paramref name="train"/>; after each epoch it is scored on <paramref name="check"/>
    /// (the official test set where there is one) and <paramref name="epochCompleted"/> hears of it.
    /// </summary>
    public Model Train(Backend backend, Dataset train, Dataset check, Action<EpochMetrics>? epochCompleted = null, CancellationToken cancel = default)
    {
        var model = Model.Create(Network, backend, Seed);
        try
        {
            using var adam = Optimizer.Adam(LearningRate);
            for (var epoch = 1; epoch <= Epochs; epoch++)
            {
                var distorted = DigitDistortion.Apply(train, Distortion, Seed, (ulong)epoch);
                var trainer = new Trainer(model, adam, new TrainerOptions { Epochs = epoch, BatchSize = BatchSize, Seed = Seed }) { CompletedEpochs = epoch - 1 };
                if (epochCompleted is not null) trainer.EpochCompleted += epochCompleted;
                trainer.Fit(distorted, check, cancel);
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
