using DeepGpu.Backends.Cpu;
using DeepGpu.Data;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Training;

namespace DeepGpu.Tests.Training;

public sealed class TrainingTests
{
    private static readonly Lazy<MnistData> _sample = new(() => Mnist.LoadEmbeddedSample());

    private static Dataset SmallTrain => _sample.Value.Train.Take(2000);
    private static Dataset SmallTest => _sample.Value.Test.Take(500);

    private static IReadOnlyList<EpochMetrics> Train(ulong seed, int epochs = 2, float lr = 0.1f)
    {
        using var backend = new CpuBackend();
        using var model = Model.Create(Networks.TwoLayer(), backend, seed);
        using var sgd = Optimizer.Sgd(lr);
        return new Trainer(model, sgd, new TrainerOptions { Epochs = epochs, Seed = seed }).Fit(SmallTrain, SmallTest).ToList();
    }

    [Fact]
    public void Same_seed_gives_the_same_loss_history()
    {
        var a = Train(seed: 5);
        var b = Train(seed: 5);
        Assert.Equal(a.Select(m => m.TrainLoss), b.Select(m => m.TrainLoss));
        Assert.Equal(a.Select(m => m.TestAccuracy), b.Select(m => m.TestAccuracy));
        var c = Train(seed: 6);
        Assert.NotEqual(a.Select(m => m.TrainLoss), c.Select(m => m.TrainLoss));
    }

    [Fact]
    public void Same_seed_gives_the_same_weights_for_a_deep_convnet()
    {
        // Multi-threaded convolution and pooling must not let the order in which workers finish change a sum.
        float[] Run()
        {
            using var backend = new CpuBackend();
            using var model = Model.Create(Networks.DeepConvNet(), backend, 2);
            using var adam = Optimizer.Adam();
            new Trainer(model, adam, new TrainerOptions { Epochs = 1, Seed = 2 }).Fit(SmallTrain.Take(300), SmallTest.Take(100));
            return model.GetParameters();
        }
        var first = Run();
        for (var i = 0; i < 3; i++) Assert.Equal(first, Run());
    }

    [Fact]
    public void Training_lowers_the_loss_and_learns()
    {
        var history = Train(seed: 1, epochs: 3);
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss, $"loss went from {history[0].TrainLoss} to {history[^1].TrainLoss}");
        Assert.True(history[^1].TestAccuracy > 0.5, $"accuracy {history[^1].TestAccuracy}");
    }

    [Fact]
    public void A_diverging_run_stops_and_says_so()
    {
        using var backend = new CpuBackend();
        var spec = Networks.TwoLayer() with { Layers = [new AffineSpec(50), new ReluSpec(), new AffineSpec(10), new MeanSquaredErrorSpec()] };
        using var model = Model.Create(spec, backend, 1);
        using var sgd = Optimizer.Sgd(1e6f);
        var e = Assert.Throws<TrainingDivergedException>(() =>
            new Trainer(model, sgd, new TrainerOptions { Epochs = 3 }).Fit(SmallTrain, SmallTest));
        Assert.Contains("loss became", e.Message);
    }

    [Fact]
    public void Labels_that_do_not_fit_the_outputs_are_refused_with_a_sentence()
    {
        using var backend = new CpuBackend();
        using var model = Model.Create(Networks.TwoLayer(classes: 5), backend, 1);
        using var sgd = Optimizer.Sgd();
        var trainer = new Trainer(model, sgd, new TrainerOptions { Epochs = 1 });
        var e = Assert.Throws<DeepGpuException>(() => trainer.Fit(SmallTrain, SmallTest));
        Assert.Equal($"{SmallTrain.Source} has label 9, but the network has 5 outputs, so labels must be below 5.", e.Message);
        Assert.Equal(0, sgd.Steps);

        // Labels 0..4 only: the same network trains.
        var fits = Subset(SmallTrain, l => l < 5);
        var history = trainer.Fit(fits, Subset(SmallTest, l => l < 5));
        Assert.Single(history);
        e = Assert.Throws<DeepGpuException>(() => model.Evaluate(SmallTest));
        Assert.Contains("has label 9, but the network has 5 outputs", e.Message);
    }

    private static Dataset Subset(Dataset data, Func<byte, bool> keep)
    {
        var picked = Enumerable.Range(0, data.Count).Where(i => keep(data.Labels[i])).ToArray();
        var images = picked.SelectMany(i => data.GetImage(i).ToArray()).ToArray();
        return new Dataset(images, picked.Select(i => data.Labels[i]).ToArray(), data.SampleShape, data.Classes, data.Source);
    }

    [Fact]
    public void Resumed_training_equals_uninterrupted_training()
    {
        var dir = Directory.CreateTempSubdirectory("deepgpu-ckpt").FullName;
        try
        {
            using var backend = new CpuBackend();
            var spec = Networks.Mlp([30, 20], dropout: 0.2f);
            float[] uninterrupted;
            using (var model = Model.Create(spec, backend, 3))
            using (var adam = Optimizer.Adam())
            {
                new Trainer(model, adam, new TrainerOptions { Epochs = 2, Seed = 3 }).Fit(SmallTrain, SmallTest);
                uninterrupted = model.GetParameters();
            }
            using (var model = Model.Create(spec, backend, 3))
            using (var adam = Optimizer.Adam())
            {
                var first = new Trainer(model, adam, new TrainerOptions { Epochs = 1, Seed = 3 });
                first.AfterEpoch = epoch => Checkpoint.Save(dir, model, adam, epoch);
                first.Fit(SmallTrain, SmallTest);
            }
            var (resumed, optimizer, epoch, _) = Checkpoint.Load(dir, backend);
            using (resumed)
            using (optimizer)
            {
                Assert.Equal(1, epoch);
                new Trainer(resumed, optimizer, new TrainerOptions { Epochs = 2, Seed = 3 }) { CompletedEpochs = epoch }.Fit(SmallTrain, SmallTest);
                Assert.Equal(uninterrupted, resumed.GetParameters());
                Assert.Equal(2, resumed.History.Count);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Weight_decay_adds_lambda_w_to_weight_gradients_and_half_lambda_w_squared_to_the_loss()
    {
        // One step over a training set that is exactly one batch: the gradient does not depend on the shuffle.
        var batch = SmallTrain.Take(100);
        const float lambda = 0.1f, lr = 0.5f;
        using var backend = new CpuBackend();
        var spec = Networks.Mlp([12]);
        using var reference = Model.Create(spec, backend, 4);
        var p0 = reference.GetParameters();
        var plan = reference.GetPlan(100);
        backend.Upload<float>(batch.ToFloat(normalize: true), plan.Input);
        backend.Upload<int>(batch.Labels.Select(l => (int)l).ToArray(), plan.Labels);
        plan.ResetMetrics();
        plan.Forward(new PassInfo(true, 1, 0));
        plan.Backward();
        var loss = plan.ReadMetrics().LossSum;
        var g = reference.GetGradients();

        using var model = Model.Create(spec, backend, 4);
        using var sgd = Optimizer.Sgd(lr);
        var history = new Trainer(model, sgd, new TrainerOptions { Epochs = 1, WeightDecay = lambda }).Fit(batch, SmallTest);
        var p1 = model.GetParameters();
        var weights = model.Network.WeightCount;
        var squares = p0.Take(weights).Sum(w => (double)w * w);
        Assert.Equal(loss + 0.5 * lambda * squares, history[0].TrainLoss, 4);
        for (var i = 0; i < p0.Length; i++)
        {
            var decay = i < weights ? lambda * p0[i] : 0f; // biases are not decayed
            Assert.Equal(p0[i] - lr * (g[i] + decay), p1[i], 5);
        }
    }
}
