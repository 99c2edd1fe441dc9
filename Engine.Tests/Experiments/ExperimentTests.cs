using System.Globalization;
using DeepGpu.Backends.Cpu;
using DeepGpu.Experiments;
using DeepGpu.Tests.TestSupport;

namespace DeepGpu.Tests.Experiments;

/// <summary>Tiny versions of the book's chapter-6 comparisons: they finish in seconds and show the book's lesson where a tiny run can.</summary>
public sealed class ExperimentTests
{
    [Fact]
    public void Init_std_001_does_not_learn_while_he_and_xavier_do()
    {
        using var backend = new CpuBackend();
        var r = BookExperiments.Init(ExperimentData.Train, backend, new ExperimentOptions { Iterations = 300, TrainSize = 4000 });
        Assert.Equal(["std 0.01", "xavier", "he", "std 0.01 (smoothed)", "xavier (smoothed)", "he (smoothed)"], r.Curves.Select(c => c.Name));
        var std = r["std 0.01"].TailMean(30);
        var xavier = r["xavier"].TailMean(30);
        var he = r["he"].TailMean(30);
        Assert.InRange(std, 2.25, 2.35); // ln 10: guessing
        Assert.True(he < 1.0, $"He ended at loss {he}");
        Assert.True(xavier < std - 0.2, $"Xavier ended at loss {xavier}, std 0.01 at {std}");
        Assert.True(he < xavier, $"He {he} should learn faster than Xavier {xavier} with ReLU");
        Assert.Equal("iterations", r.XLabel);
        Assert.Contains(" std 0.01 did not learn: its loss stayed near the start.", r.Conclusion);
    }

    [Fact]
    public void Optimizers_momentum_adagrad_and_adam_end_below_sgd()
    {
        using var backend = new CpuBackend();
        var r = BookExperiments.Optimizers(ExperimentData.Train, backend, new ExperimentOptions { Iterations = 300, TrainSize = 4000 });
        var sgd = r["sgd"].TailMean(30);
        foreach (var name in new[] { "momentum", "adagrad", "adam" })
        {
            var loss = r[name].TailMean(30);
            Assert.True(loss < sgd, $"{name} ended at {loss}, SGD at {sgd}");
        }
        foreach (var c in r.Curves)
        {
            Assert.Equal(300, c.Y.Length);
            Assert.Equal(Enumerable.Range(1, 300).Select(i => (double)i), c.X);
            Assert.All(c.Y, y => Assert.True(double.IsFinite(y) && y > 0, $"y = {y}"));
        }
        Assert.Equal(4, r.Curves.Count(c => c.Group == "raw"));
        Assert.Equal(4, r.Curves.Count(c => c.Group == "smoothed"));
        // The conclusion is this run's ranking, not a sentence fixed in advance.
        var best = r.Curves.Where(c => c.Group == "raw").MinBy(c => c.TailMean(15))!;
        Assert.StartsWith($"lowest final loss: {best.Name} (", r.Conclusion);
    }

    [Fact]
    public void Conclusions_rank_losses_from_the_numbers_and_name_a_net_that_did_not_learn()
    {
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
        Curve Falling(string name, double to) => new(name, x, x.Select(i => 2.3 + (to - 2.3) * (i - 1) / 19).ToArray());
        var text = Conclusions.Losses([Falling("sgd", 0.9), Falling("adagrad", 0.35), Falling("adam", 0.05), Falling("stuck", 2.25)]);
        Assert.Equal("lowest final loss: adam (0.05); then adagrad (0.35, 7x), sgd (0.9, 18x), stuck (2.25, 45x). stuck did not learn: its loss stayed near the start.", text);

        Curve Flat(string name, string group, double y) => new(name, [1, 2], [y, y], group);
        Assert.Equal("with batch norm the final accuracy was higher at 1 of 2 weight scales and lower at 1; on average +30.0 points.", Conclusions.BatchNorm(
            [Flat("std 1, batch norm", "std 1", 0.5), Flat("std 1, no batch norm", "std 1", 0.6), Flat("std 0.1, batch norm", "std 0.1", 0.9), Flat("std 0.1, no batch norm", "std 0.1", 0.2)]));
        Assert.Equal("final gap between train and validation accuracy: plain 30.0 points, dropout 0.2 10.0 points; smallest: dropout 0.2.", Conclusions.Overfit(
            [Flat("plain, train", "plain", 1.0), Flat("plain, validation", "plain", 0.7), Flat("dropout 0.2, train", "dropout 0.2", 0.8), Flat("dropout 0.2, validation", "dropout 0.2", 0.7)], "validation"));
    }

    [Fact]
    public void Iteration_runs_are_reproducible_from_the_seed()
    {
        using var backend = new CpuBackend();
        var options = new ExperimentOptions { Iterations = 15, TrainSize = 300 };
        var a = BookExperiments.Init(ExperimentData.Train, backend, options);
        var b = BookExperiments.Init(ExperimentData.Train, backend, options);
        var c = BookExperiments.Init(ExperimentData.Train, backend, options with { Seed = 2 });
        Assert.Equal(a["he"].Y, b["he"].Y);
        Assert.NotEqual(a["he"].Y, c["he"].Y);
        // The optimizers' SGD run is the init comparison's He run: same net, seed, learning rate and batches.
        var optimizers = BookExperiments.Optimizers(ExperimentData.Train, backend, options);
        Assert.Equal(a["he"].Y, optimizers["sgd"].Y);
    }

    [Fact]
    public void Batchnorm_learns_at_small_weight_scales_where_the_plain_net_cannot()
    {
        using var backend = new CpuBackend();
        // Scales 1, 0.0464, 0.00215, 1e-4; the book's 1000 images; 5 of its 20 epochs.
        var r = BookExperiments.BatchNorm(ExperimentData.Train, backend, new ExperimentOptions { Epochs = 5, Scales = 4 });
        Assert.Equal(8, r.Curves.Count);
        Assert.Equal(["std 1, batch norm", "std 1, no batch norm", "std 0.0464, batch norm", "std 0.0464, no batch norm"], r.Curves.Take(4).Select(c => c.Name));
        Assert.Equal(["std 1", "std 1", "std 0.0464", "std 0.0464"], r.Curves.Take(4).Select(c => c.Group));
        foreach (var c in r.Curves)
        {
            Assert.Equal([1.0, 2, 3, 4, 5], c.X);
            Assert.All(c.Y, y => Assert.InRange(y, 0, 1));
        }
        foreach (var std in new[] { "0.0464", "0.00215", "0.0001" })
        {
            var withBn = r[$"std {std}, batch norm"].Last;
            var without = r[$"std {std}, no batch norm"].Last;
            Assert.True(without < 0.2, $"without batch norm at std {std} the accuracy was {without}");
            Assert.True(withBn > without + 0.2, $"std {std}: with batch norm {withBn}, without {without}");
        }
        // Std 1 without batch norm overflows in the first epoch: the curve goes on at the diverged net's score and a note says so.
        Assert.Contains(r.Notes, n => n.StartsWith("std 1, no batch norm: the loss overflowed in epoch 1", StringComparison.Ordinal));
        var diverged = r["std 1, no batch norm"].Last;
        Assert.True(diverged < 0.2, $"the diverged net's last score {diverged}");
    }

    [Fact]
    public void Overfit_plain_net_fits_its_few_images_better_than_the_test_set()
    {
        using var backend = new CpuBackend();
        var r = BookExperiments.Overfit(ExperimentData.Train, ExperimentData.Test, backend, new ExperimentOptions { Epochs = 40, TestSize = 500 });
        Assert.Equal(6, r.Curves.Count);
        Assert.Equal(["plain", "plain", "weight decay 0.1", "weight decay 0.1", "dropout 0.2", "dropout 0.2"], r.Curves.Select(c => c.Group));
        Assert.All(r.Curves, c => Assert.Equal(40, c.Y.Length));
        var train = r["plain, train"].Last;
        var test = r["plain, test"].Last;
        Assert.True(train > test + 0.05, $"plain: train {train}, test {test}");
        Assert.True(train > 0.7, $"plain train accuracy {train}");
    }

    [Fact]
    public void Csv_is_long_format_with_quoted_names_and_written_atomically()
    {
        var curves = new[]
        {
            new Curve("std 1, batch norm", [1, 2], [0.5, 0.25], "std 1"),
            new Curve("plain", [1], [1e-7]),
        };
        var result = new ExperimentResult("demo", "Demo", "epochs", "accuracy", curves, "A lesson.");
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "sub", "demo.csv");
        result.WriteCsv(path);
        result.WriteCsv(path); // overwrites
        var lines = File.ReadAllLines(path);
        Assert.Equal(["curve,x,y", "\"std 1, batch norm\",1,0.5", "\"std 1, batch norm\",2,0.25", "plain,1,1E-07"], lines);
        Assert.Equal(["demo.csv"], Directory.GetFiles(Path.Combine(dir.Path, "sub")).Select(Path.GetFileName));
        Assert.Equal(1e-7, double.Parse(lines[3].Split(',')[2], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Csv_of_a_real_run_has_one_row_per_point()
    {
        using var backend = new CpuBackend();
        var r = BookExperiments.Init(ExperimentData.Train, backend, new ExperimentOptions { Iterations = 12, TrainSize = 256 });
        var rows = r.ToCsv().TrimEnd('\n').Split('\n');
        Assert.Equal("curve,x,y", rows[0]);
        Assert.Equal(1 + 6 * 12, rows.Length);
        Assert.All(rows.Skip(1), row =>
        {
            var parts = row.Split(',');
            Assert.Equal(3, parts.Length);
            Assert.True(double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out _));
            Assert.True(double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        });
    }

    [Fact]
    public void Bad_names_and_sizes_are_one_sentence_errors()
    {
        using var backend = new CpuBackend();
        var e = Assert.Throws<DeepGpuException>(() => BookExperiments.Run("histograms", ExperimentData.Train, ExperimentData.Test, backend));
        Assert.Contains("optimizers, init, batchnorm, overfit", e.Message);
        Assert.Throws<DeepGpuException>(() => BookExperiments.Init(ExperimentData.Train, backend, new ExperimentOptions { Iterations = 0 }));
        Assert.Throws<DeepGpuException>(() => BookExperiments.Overfit(ExperimentData.Train, ExperimentData.Test, backend, new ExperimentOptions { TrainSize = 1_000_000 }));
        Assert.Throws<DeepGpuException>(() => BookExperiments.BatchNorm(ExperimentData.Train, backend, new ExperimentOptions { Epochs = 0 }));
    }

    [Fact]
    public void Scales_are_logspaced_from_1_to_1e_minus_4()
    {
        var s = BookExperiments.Scales(16);
        Assert.Equal(16, s.Length);
        Assert.Equal(1.0, s[0]);
        Assert.Equal(1e-4, s[^1], 12);
        for (var i = 1; i < s.Length; i++) Assert.Equal(-4.0 / 15, Math.Log10(s[i] / s[i - 1]), 9);
    }

    [Fact]
    public void Smoothing_keeps_length_and_constants_and_damps_noise()
    {
        Assert.All(BookExperiments.Smooth(Enumerable.Repeat(3.0, 50).ToArray()), v => Assert.Equal(3.0, v, 9));
        double[] shortValues = [1, 2, 3];
        Assert.Equal(shortValues, BookExperiments.Smooth(shortValues));
        var noisy = Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? 1.0 : -1.0).ToArray();
        var smooth = BookExperiments.Smooth(noisy);
        Assert.Equal(100, smooth.Length);
        Assert.All(smooth, v => Assert.InRange(v, -0.3, 0.3));
    }
}
