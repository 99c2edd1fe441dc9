using System.Text.Json;
using DeepGpu.Cli;
using DeepGpu.Tests.TestSupport;

namespace DeepGpu.Tests.Experiments;

/// <summary>deepgpu experiment and deepgpu tune as a user runs them: tiny runs, the files they write, and usage errors.</summary>
public sealed class ExperimentCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Experiment_init_writes_its_csv_and_prints_the_final_losses_and_what_they_show()
    {
        using var dir = new TempDir();
        var r = Run("experiment", "init", "--iterations", "20", "--train-size", "512", "--backend", "cpu", "--out", dir.Path);
        Assert.True(r.Code == 0, r.Err);
        var csv = File.ReadAllLines(Path.Combine(dir.Path, "init.csv"));
        Assert.Equal("curve,x,y", csv[0]);
        Assert.Equal(1 + 6 * 20, csv.Length);
        Assert.Contains("conclusion: lowest final loss: ", r.Out);
        foreach (var curve in new[] { "std 0.01", "xavier", "he" }) Assert.Contains($"  {curve} ", r.Out);
        Assert.DoesNotContain("(smoothed)", r.Out);
        Assert.Contains("init.csv", r.Out);
        Assert.Contains("he: loss", r.Err); // progress goes to stderr
        // The chart: one line per initialiser (smoothed), named in the legend.
        var svg = System.Xml.Linq.XDocument.Load(Path.Combine(dir.Path, "init.svg"));
        var text = string.Concat(svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value + "|"));
        foreach (var curve in new[] { "std 0.01", "xavier", "he" }) Assert.Contains(curve + "|", text);
        Assert.Equal(3, svg.Descendants().Count(e => e.Name.LocalName == "path" && (string?)e.Attribute("class") == "series"));
    }

    [Fact]
    public void Experiment_batchnorm_and_overfit_run_tiny_versions()
    {
        using var dir = new TempDir();
        var bn = Run("experiment", "batchnorm", "--epochs", "1", "--scales", "2", "--train-size", "200", "--backend", "cpu", "--out", dir.Path);
        Assert.True(bn.Code == 0, bn.Err);
        var rows = File.ReadAllLines(Path.Combine(dir.Path, "batchnorm.csv"));
        Assert.Equal("curve,x,y", rows[0]);
        Assert.Equal(["\"std 1, batch norm\",1,", "\"std 1, no batch norm\",1,", "\"std 0.0001, batch norm\",1,", "\"std 0.0001, no batch norm\",1,"],
            rows.Skip(1).Select(l => l[..(l.LastIndexOf(',') + 1)]));
        Assert.Contains("training accuracy", bn.Out);
        // One panel per init scale, as the book's 4x4 grid.
        var panels = System.Xml.Linq.XDocument.Load(Path.Combine(dir.Path, "batchnorm.svg")).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.Contains("std 1", panels);
        Assert.Contains("std 0.0001", panels);

        var overfit = Run("experiment", "overfit", "--epochs", "2", "--test-size", "100", "--backend", "cpu", "--out", dir.Path, "--seed", "3");
        Assert.True(overfit.Code == 0, overfit.Err);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "overfit.csv"));
        Assert.Equal(1 + 6 * 2, lines.Length);
        // The embedded sample holds out part of the training set as its test part; the summary says validation.
        Assert.Contains("plain, validation", overfit.Out);
        Assert.Contains(lines, l => l.StartsWith("\"plain, validation\",", StringComparison.Ordinal)); // the CSV and chart say so too
        Assert.Contains("after 2 epochs", overfit.Out);
    }

    [Fact]
    public void Tune_prints_the_best_trials_as_a_table_or_json()
    {
        var r = Run("tune", "--trials", "3", "--epochs", "1", "--train-size", "200", "--top", "2", "--backend", "cpu", "--seed", "5");
        Assert.True(r.Code == 0, r.Err);
        var lines = r.Out.TrimEnd().Split('\n');
        Assert.StartsWith("best 2 of 3 trials by validation accuracy", lines[0]);
        Assert.StartsWith("rank  val acc", lines[1]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("   1", lines[2]);
        Assert.StartsWith("   2", lines[3]);
        Assert.Contains("scored on 40 validation images split from the training set", r.Err);
        Assert.Equal(3, r.Err.Split('\n').Count(l => l.StartsWith("trial ", StringComparison.Ordinal)));

        var j = Run("tune", "--trials", "3", "--epochs", "1", "--train-size", "200", "--validation", "50", "--top", "2", "--backend", "cpu", "--seed", "5",
            "--lr-range", "-3,-1", "--decay-range=-7,-6", "--json");
        Assert.True(j.Code == 0, j.Err);
        using var doc = JsonDocument.Parse(j.Out);
        var root = doc.RootElement;
        Assert.Equal(50, root.GetProperty("validationImages").GetInt32());
        Assert.Equal(150, root.GetProperty("trainImages").GetInt32());
        var best = root.GetProperty("best").EnumerateArray().ToList();
        Assert.Equal(2, best.Count);
        double first = best[0].GetProperty("validationAccuracy").GetDouble(), second = best[1].GetProperty("validationAccuracy").GetDouble();
        Assert.True(first >= second, $"best validation accuracies out of order: {first:P2} then {second:P2}");
        Assert.All(best, b =>
        {
            Assert.InRange(Math.Log10(b.GetProperty("learningRate").GetDouble()), -3, -1);
            Assert.InRange(Math.Log10(b.GetProperty("weightDecay").GetDouble()), -7, -6);
        });
    }

    [Theory]
    [InlineData(2, "Name an experiment", "experiment")]
    [InlineData(2, "There is no experiment 'histograms'", "experiment", "histograms")]
    [InlineData(2, "Unexpected argument 'init'", "experiment", "optimizers", "init")]
    [InlineData(2, "--iterations must be a positive whole number", "experiment", "init", "--iterations", "0")]
    [InlineData(2, "--epochs must be a positive whole number", "experiment", "overfit", "--epochs", "-3")]
    [InlineData(2, "--epochs applies to batchnorm and overfit, not init", "experiment", "init", "--epochs", "3")]
    [InlineData(2, "--iterations applies to optimizers and init, not overfit", "experiment", "overfit", "--iterations", "3")]
    [InlineData(2, "--scales applies to batchnorm, not optimizers", "experiment", "optimizers", "--scales", "3")]
    [InlineData(2, "--backend must be one of", "experiment", "init", "--backend", "tpu")]
    [InlineData(2, "Unknown option --bogus", "experiment", "init", "--bogus", "1")]
    [InlineData(2, "asks for 100000 images", "experiment", "init", "--train-size", "100000", "--backend", "cpu")]
    [InlineData(2, "--lr-range must be two base-10 exponents", "tune", "--lr-range", "-2,-6")]
    [InlineData(2, "--decay-range must be two base-10 exponents", "tune", "--decay-range", "abc")]
    [InlineData(2, "--validation 500 must be smaller than --train-size 500", "tune", "--validation", "500")]
    [InlineData(2, "--top must be a positive whole number", "tune", "--top", "0")]
    [InlineData(2, "--trials must be a positive whole number", "tune", "--trials", "x")]
    [InlineData(2, "Unexpected argument 'now'", "tune", "now")]
    public void Bad_options_are_usage_errors(int code, string message, params string[] args)
    {
        var r = Run(args);
        Assert.Equal(code, r.Code);
        Assert.Contains(message, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("Exception", r.Err);
    }

    [Fact]
    public void Both_commands_are_listed_with_usage()
    {
        var main = Run("--help");
        Assert.Contains("experiment", main.Out);
        Assert.Contains("tune", main.Out);
        Assert.Contains("--iterations", Run("experiment", "--help").Out);
        Assert.Contains("--lr-range", Run("tune", "--help").Out);
    }
}
