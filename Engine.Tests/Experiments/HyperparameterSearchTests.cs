using DeepGpu.Backends.Cpu;
using DeepGpu.Data;
using DeepGpu.Experiments;
using DeepGpu.Tensors;

namespace DeepGpu.Tests.Experiments;

/// <summary>The random search: log-uniform samples within the ranges, a validation split of the training data only, sorted and reproducible trials.</summary>
public sealed class HyperparameterSearchTests
{
    [Fact]
    public void Samples_are_log_uniform_within_the_ranges()
    {
        var options = new HyperparameterSearchOptions { LearningRateExponents = (-6, -2), WeightDecayExponents = (-8, -4), Seed = 7 };
        const int n = 4000;
        var samples = Enumerable.Range(0, n).Select(i => HyperparameterSearch.Sample(options, i)).ToArray();
        var lrExponents = samples.Select(s => Math.Log10(s.LearningRate)).ToArray();
        var decayExponents = samples.Select(s => Math.Log10(s.WeightDecay)).ToArray();
        Assert.All(lrExponents, e => Assert.InRange(e, -6, -2));
        Assert.All(decayExponents, e => Assert.InRange(e, -8, -4));
        // Uniform in the exponent: each of the four unit bins holds about a quarter (±3%), in both ranges.
        for (var bin = 0; bin < 4; bin++)
        {
            Assert.InRange(lrExponents.Count(e => e >= -6 + bin && e < -5 + bin) / (double)n, 0.22, 0.28);
            Assert.InRange(decayExponents.Count(e => e >= -8 + bin && e < -7 + bin) / (double)n, 0.22, 0.28);
        }
        // The two values of a trial are drawn independently.
        var correlation = Correlation(lrExponents, decayExponents);
        Assert.InRange(correlation, -0.05, 0.05);
        Assert.Equal(samples[5], HyperparameterSearch.Sample(options, 5));
        Assert.NotEqual(samples[5], HyperparameterSearch.Sample(options with { Seed = 8 }, 5));
    }

    [Fact]
    public void The_validation_split_comes_from_the_training_data_given()
    {
        var training = ExperimentData.Train;
        var options = new HyperparameterSearchOptions { TrainSize = 500, Seed = 3 };
        var (train, validation) = HyperparameterSearch.Split(training, options);
        Assert.Equal(400, train.Count);
        Assert.Equal(100, validation.Count); // 20% by default
        var firstImages = Enumerable.Range(0, 500).Select(i => Key(training, i)).ToList();
        var trainKeys = Enumerable.Range(0, train.Count).Select(i => Key(train, i)).ToList();
        var validationKeys = Enumerable.Range(0, validation.Count).Select(i => Key(validation, i)).ToList();
        // Every image of both parts is one of the first 500 training images, with its label, and no image is in both.
        Assert.All(trainKeys.Concat(validationKeys), k => Assert.Contains(k, firstImages));
        Assert.Equal(500, trainKeys.Concat(validationKeys).Distinct().Count());
        // Not the test set: no validation image is a test image.
        var testKeys = Enumerable.Range(0, ExperimentData.Test.Count).Select(i => Key(ExperimentData.Test, i)).ToHashSet();
        Assert.DoesNotContain(validationKeys, testKeys.Contains);
        // Shuffled like the book, not the last 100.
        Assert.NotEqual(firstImages.Skip(400), validationKeys);
        var again = HyperparameterSearch.Split(training, options);
        Assert.Equal(validation.Images, again.Validation.Images);
        Assert.Equal(30, HyperparameterSearch.Split(training, options with { ValidationSize = 30 }).Validation.Count);
    }

    [Fact]
    public void Trials_train_on_the_data_given_and_come_back_sorted_and_reproducible()
    {
        using var backend = new CpuBackend();
        // A training set whose labels follow a fixed rule of the pixels: the search can only learn it from these images.
        var data = Synthetic(400);
        var options = new HyperparameterSearchOptions
        {
            Trials = 4, Epochs = 3, TrainSize = 300, BatchSize = 60, LearningRateExponents = (-3, -1), WeightDecayExponents = (-6, -5),
            Network = DeepGpu.Models.Networks.Mlp([20, 20], input: [1, 28, 28]), Seed = 11,
        };
        var trials = HyperparameterSearch.Run(data, backend, options);
        Assert.Equal(4, trials.Count);
        Assert.Equal([0, 1, 2, 3], trials.Select(t => t.Index).Order());
        for (var i = 1; i < trials.Count; i++) Assert.True(trials[i - 1].ValidationAccuracy >= trials[i].ValidationAccuracy,
                $"trial {i - 1} at {trials[i - 1].ValidationAccuracy:P2} before trial {i} at {trials[i].ValidationAccuracy:P2}");
        Assert.All(trials, t =>
        {
            Assert.InRange(Math.Log10(t.LearningRate), -3, -1);
            Assert.InRange(Math.Log10(t.WeightDecay), -6, -5);
            Assert.Equal(3, t.ValidationAccuracies.Count);
            Assert.Equal(t.ValidationAccuracies[^1], t.ValidationAccuracy);
            Assert.Equal(HyperparameterSearch.Sample(options, t.Index), (t.LearningRate, t.WeightDecay));
            // 60 validation images: accuracies are multiples of 1/60.
            Assert.Equal(Math.Round(t.ValidationAccuracy * 60), t.ValidationAccuracy * 60, 6);
        });
        var again = HyperparameterSearch.Run(data, backend, options);
        Assert.Equal(trials.Select(t => (t.Index, t.ValidationAccuracy, t.TrainAccuracy)), again.Select(t => (t.Index, t.ValidationAccuracy, t.TrainAccuracy)));
    }

    [Fact]
    public void Bad_settings_are_one_sentence_errors()
    {
        using var backend = new CpuBackend();
        var data = Synthetic(50);
        Assert.Throws<DeepGpuException>(() => HyperparameterSearch.Run(data, backend, new() { Trials = 0 }));
        Assert.Throws<DeepGpuException>(() => HyperparameterSearch.Run(data, backend, new() { TrainSize = 51 }));
        Assert.Throws<DeepGpuException>(() => HyperparameterSearch.Run(data, backend, new() { TrainSize = 50, ValidationSize = 50 }));
        Assert.Throws<DeepGpuException>(() => HyperparameterSearch.Run(data, backend, new() { TrainSize = 50, LearningRateExponents = (-2, -6) }));
    }

    private static (string Pixels, byte Label) Key(Dataset d, int i) => (Convert.ToBase64String(d.GetImage(i)), d.Labels[i]);

    private static Dataset Synthetic(int count)
    {
        var images = new byte[count * 784];
        var labels = new byte[count];
        for (var i = 0; i < count; i++)
        {
            var label = (byte)(i % 10);
            labels[i] = label;
            // A bright bar in a row chosen by the label, plus a little per-image noise.
            for (var x = 0; x < 28; x++) images[i * 784 + (2 + label * 2) * 28 + x] = 255;
            images[i * 784 + (i * 7 % 784)] = 128;
        }
        return new Dataset(images, labels, new Shape(1, 28, 28), 10, "synthetic bars");
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }
}
