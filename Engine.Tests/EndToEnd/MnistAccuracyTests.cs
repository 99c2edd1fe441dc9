using DeepGpu.Backends.Cpu;
using DeepGpu.Data;
using DeepGpu.Graph;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Tests.TestSupport;
using DeepGpu.Training;
using Xunit.Abstractions;

namespace DeepGpu.Tests.EndToEnd;

/// <summary>
/// The book's networks trained on the 10k sample and scored on the official test set, against the accuracy the
/// book's own code reaches on the same data. Long: category EndToEnd, which CI runs.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class MnistAccuracyTests(ITestOutputHelper output)
{
    private double TrainAndScore(NetworkSpec spec, Optimizer optimizer, int epochs)
    {
        var data = TestMnist.SampleWithOfficialTest();
        Assert.False(data.TestIsHeldOut);
        Assert.Equal(10000, data.Test.Count);
        using var backend = new CpuBackend();
        using var model = Model.Create(spec, backend, seed: 1);
        using (optimizer)
        {
            var history = new Trainer(model, optimizer, new TrainerOptions { Epochs = epochs, BatchSize = 100, Seed = 1 }).Fit(data.Train, data.Test);
            foreach (var m in history) output.WriteLine($"{spec.Name} epoch {m.Epoch}: loss {m.TrainLoss:F4} test {m.TestAccuracy:P2} ({m.Seconds:F1} s)");
            return history[^1].TestAccuracy;
        }
    }

    [OfficialTestSetFact]
    public void Two_layer_net_reaches_89_percent_in_10_epochs() =>
        AtLeast(0.89, TrainAndScore(Networks.TwoLayer(), Optimizer.Sgd(0.1f), 10));

    [OfficialTestSetFact]
    public void Mlp_100_100_reaches_92_percent_in_5_epochs() =>
        AtLeast(0.92, TrainAndScore(Networks.Mlp([100, 100]), Optimizer.Sgd(0.1f), 5));

    [OfficialTestSetFact]
    public void Simple_convnet_reaches_96_5_percent_in_10_epochs() =>
        AtLeast(0.965, TrainAndScore(Networks.SimpleConvNet(), Optimizer.Adam(0.001f), 10));

    [OfficialTestSetFact]
    public void Deep_convnet_reaches_97_8_percent_in_10_epochs() =>
        AtLeast(0.978, TrainAndScore(Networks.DeepConvNet(), Optimizer.Adam(0.001f), 10));

    private static void AtLeast(double bar, double accuracy) =>
        Assert.True(accuracy >= bar, $"test accuracy {accuracy:P2}, below the bar of {bar:P1}");
}
