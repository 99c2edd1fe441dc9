using System.Diagnostics;
using DeepGpu.Backends;
using DeepGpu.Graph;
using DeepGpu.Initializers;
using DeepGpu.Layers;
using DeepGpu.Models;

namespace DeepGpu.Diagnostics;

/// <summary>One line of <see cref="SelfCheck"/>: an op on one shape, or a layer's gradient check.</summary>
/// <param name="Error">Largest |actual − expected| (or the exception's message when it threw).</param>
public sealed record CheckResult(string Group, string Op, string Case, double Error, double Tolerance, bool Passed, double Milliseconds, string? Message = null);

/// <summary>
/// What <c>deepgpu check</c> runs on a backend: every op case of <see cref="OpCases"/> against its scalar reference,
/// then the book's numerical gradient check of every layer type and of small networks. The op test suite and the
/// gradient tests run the same lists; this is the form that runs on a GPU machine.
/// </summary>
public static class SelfCheck
{
    public static IEnumerable<CheckResult> Run(Backend backend)
    {
        foreach (var op in OpCases.All) yield return Check(backend, op);
        foreach (var r in GradientChecks(backend)) yield return r;
    }

    /// <summary>Runs one case and compares each output with its reference (|a − r| ≤ atol + rtol·|r|).</summary>
    private static CheckResult Check(Backend backend, OpCase op)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var worst = new Discrepancy(-1, 0, 0, 0, 0);
            foreach (var (actual, expected) in op.RunOn(backend))
            {
                if (actual.Length != expected.Length)
                {
                    return new(op.Group, op.Op, op.Shape, double.NaN, op.Absolute, false, clock.Elapsed.TotalMilliseconds, "length differs");
                }
                var d = TestArrays.Worst(expected, actual, op.Relative, op.Absolute);
                if (d.Ratio > worst.Ratio) worst = d;
            }
            return new(op.Group, op.Op, op.Shape, worst.Error, op.Absolute, worst.Within, clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new(op.Group, op.Op, op.Shape, double.NaN, op.Absolute, false, clock.Elapsed.TotalMilliseconds, e.GetType().Name + ": " + e.Message);
        }
    }

    /// <summary>Small networks that together hold every layer type, for the numerical gradient check.</summary>
    public static IReadOnlyList<(string Name, NetworkSpec Spec, int Batch)> GradientCases { get; } = BuildGradientCases();

    private static List<(string, NetworkSpec, int)> BuildGradientCases()
    {
        var wide = WeightInit.Normal(0.5f);
        AffineSpec Affine(int n) => new(n) { Init = wide };
        return
        [
            ("affine + softmax-with-loss", new NetworkSpec([5], [Affine(4), new SoftmaxWithLossSpec()], 4), 3),
            ("affine + mean-squared-error", new NetworkSpec([5], [Affine(4), new MeanSquaredErrorSpec()], 4), 3),
            ("relu", new NetworkSpec([6], [Affine(7), new ReluSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("sigmoid", new NetworkSpec([6], [Affine(7), new SigmoidSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("tanh", new NetworkSpec([6], [Affine(7), new TanhSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("batchnorm (flat)", new NetworkSpec([6], [Affine(5), new BatchNormalizationSpec(), new ReluSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 4),
            ("dropout (fixed mask)", new NetworkSpec([6], [Affine(8), new ReluSpec(), new DropoutSpec(0.3f), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("convolution stride 2 pad 1 + max pooling", new NetworkSpec([2, 7, 7],
                [new ConvolutionSpec(3, 3, 2, 1) { Init = wide }, new ReluSpec(), new PoolingSpec(2, 2), Affine(3), new SoftmaxWithLossSpec()], 3), 2),
            ("convolution pad 2 + average pooling pad 1", new NetworkSpec([1, 6, 5],
                [new ConvolutionSpec(2, 3, 1, 2) { Init = wide }, new PoolingSpec(3, 2, 1) { Mode = PoolingMode.Average }, new FlattenSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 2),
            ("batchnorm (per channel)", new NetworkSpec([1, 5, 5],
                [new ConvolutionSpec(2, 3, 1, 1) { Init = wide }, new BatchNormalizationSpec(), new TanhSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("small convnet (book ch.7 check)", new NetworkSpec([1, 10, 10],
                [new ConvolutionSpec(3, 3) { Init = wide }, new ReluSpec(), new PoolingSpec(2, 2), Affine(6), new ReluSpec(), Affine(4), new SoftmaxWithLossSpec()], 4), 2),
        ];
    }

    private static IEnumerable<CheckResult> GradientChecks(Backend backend)
    {
        foreach (var (name, spec, batch) in GradientCases)
        {
            var clock = Stopwatch.StartNew();
            CheckResult result;
            try
            {
                using var model = Model.Create(spec, backend, seed: 3);
                var (x, labels) = GradientChecker.RandomBatch(spec, batch, seed: 3);
                var failures = GradientChecker.Check(model, x, labels);
                result = new CheckResult("gradient", name, $"batch {batch}, {model.Network.ParameterCount} params", failures.Count, 0, failures.Count == 0,
                    clock.Elapsed.TotalMilliseconds, failures.Count == 0 ? null : failures[0]);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                result = new CheckResult("gradient", name, $"batch {batch}", double.NaN, 0, false, clock.Elapsed.TotalMilliseconds, e.GetType().Name + ": " + e.Message);
            }
            yield return result;
        }
    }
}
