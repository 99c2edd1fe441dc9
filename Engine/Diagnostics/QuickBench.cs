using System.Diagnostics;
using DeepGpu.Backends;
using DeepGpu.Data;
using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Tensors;
using DeepGpu.Training;

namespace DeepGpu.Diagnostics;

/// <summary>One measured figure of <see cref="QuickBench"/>.</summary>
/// <param name="Kind">gemm, gemm-shape (a network's own GEMM shape), train, infer, latency (batch-1 inference) or peak (FMA throughput of a vector tier).</param>
/// <param name="Subject">The GEMM size, the network's name, or the tier.</param>
/// <param name="Size">The GEMM's n, the batch, or the cores a peak ran on.</param>
/// <param name="Value">GFLOP/s, ms per step, images per second, or ms per batch.</param>
/// <param name="Unit">The unit of <paramref name="Value"/>.</param>
/// <param name="PerStep">For a training step: what one step costs.</param>
public sealed record BenchFigure(string Backend, string Kind, string Subject, int Size, double Value, string Unit, StepCost? PerStep = null);

/// <summary>What one training step costs besides time.</summary>
/// <param name="Launches">Kernel launches; null on a backend that runs ops as calls (<see cref="Backend.CountsLaunches"/>).</param>
/// <param name="Synchronizations">Times the host waited for the device.</param>
/// <param name="Allocations">Buffers allocated.</param>
/// <param name="CudaGraph">True when the timed steps replayed a CUDA graph.</param>
/// <param name="CudaGraphStatus">How the timed steps ran: as a CUDA graph, or why not.</param>
public sealed record StepCost(long? Launches, long Synchronizations, long Allocations, bool CudaGraph = false, string CudaGraphStatus = "");

/// <summary>
/// Quick side-by-side timings for <c>deepgpu bench</c>: medians of repeated runs after a warm-up, with the
/// device synchronised inside each timed run. For careful numbers use Engine.Benchmarks (BenchmarkDotNet).
/// </summary>
public static class QuickBench
{
    /// <summary>The networks timed per training step, with the optimizer the book trains each with.</summary>
    public static IReadOnlyList<(NetworkSpec Spec, Func<Optimizer> Optimizer)> TrainingCases { get; } =
    [
        (Networks.TwoLayer(), () => Optimizer.Sgd(0.1f)),
        (Networks.Mlp([100, 100, 100, 100, 100]), () => Optimizer.Sgd(0.1f)),
        (Networks.SimpleConvNet(), () => Optimizer.Adam()),
        (Networks.DeepConvNet(), () => Optimizer.Adam()),
    ];

    /// <summary>Seconds each figure may take by default, roughly; slow backends get fewer repeats (at least one).</summary>
    public const double DefaultBudgetSeconds = 3;

    /// <summary>
    /// Median seconds of up to <paramref name="repeats"/> timed calls after a warm-up of at least
    /// <paramref name="warmup"/> untimed ones; fewer repeats when one call would overrun <paramref name="budgetSeconds"/>.
    /// </summary>
    public static double MedianSeconds(Backend backend, Action run, int warmup, int repeats, double budgetSeconds = DefaultBudgetSeconds)
    {
        var first = Stopwatch.StartNew();
        run();
        backend.Synchronize();
        var once = first.Elapsed.TotalSeconds;
        // .NET first runs methods unoptimised and recompiles them after ~30 calls and a short delay: keep warming
        // up (40 calls and half a second, within a third of the budget) so the timed calls run the optimised code.
        var warming = Stopwatch.StartNew();
        for (var i = 1; (i < warmup || i < 40 || warming.Elapsed.TotalSeconds < 0.5) && warming.Elapsed.TotalSeconds + once < budgetSeconds / 3; i++)
        {
            run();
            backend.Synchronize();
        }
        repeats = Math.Clamp((int)(budgetSeconds / Math.Max(once, 1e-9)), 1, repeats);
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            backend.Synchronize();
            times[i] = clock.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }

    /// <summary>
    /// The networks' own GEMM shapes at batch 100, as plain GEMMs (M x N x K, B transposed where the layer reads it so):
    /// small outputs with a long K (weight gradients, split over K on a GPU) and the wide convolution forward.
    /// </summary>
    public static IReadOnlyList<(string Name, int M, int N, int K, bool TransposeB)> NetworkGemms { get; } =
    [
        ("two-layer fc1 forward", 100, 50, 784, false),
        ("simple-convnet fc1 forward", 100, 100, 4_320, false),
        ("simple-convnet conv1 dW", 30, 25, 57_600, true),
        ("deep-convnet conv1 dW", 16, 9, 78_400, true),
        ("deep-convnet conv6 dW", 64, 576, 6_400, true),
        ("deep-convnet conv2 forward", 16, 78_400, 144, false),
    ];

    /// <summary>GFLOP/s of an n×n×n single-precision GEMM (2n³ flops).</summary>
    public static BenchFigure Gemm(Backend backend, int n, int repeats = 7, double budgetSeconds = DefaultBudgetSeconds) =>
        Gemm(backend, "gemm", $"{n}x{n}x{n}", n, n, n, false, repeats, budgetSeconds) with { Size = n };

    /// <summary>GFLOP/s of one of <see cref="NetworkGemms"/>: kind gemm-shape, the shape's name as subject.</summary>
    public static BenchFigure Gemm(Backend backend, (string Name, int M, int N, int K, bool TransposeB) shape, int repeats = 7,
        double budgetSeconds = DefaultBudgetSeconds) =>
        Gemm(backend, "gemm-shape", shape.Name, shape.M, shape.N, shape.K, shape.TransposeB, repeats, budgetSeconds);

    private static BenchFigure Gemm(Backend backend, string kind, string subject, int m, int n, int k, bool transposeB, int repeats,
        double budgetSeconds)
    {
        using var a = backend.Allocate<float>(m * k);
        using var b = backend.Allocate<float>(k * n);
        using var c = backend.Allocate<float>(m * n);
        backend.Upload<float>(Enumerable.Range(0, m * k).Select(i => (i % 17) * 0.01f).ToArray(), a);
        backend.Upload<float>(Enumerable.Range(0, k * n).Select(i => (i % 13) * 0.01f).ToArray(), b);
        void Once() => backend.Gemm(false, transposeB, m, n, k, 1f, a, b, 0f, c);
        // Enough calls per timed run that small sizes are not all launch overhead, judged from one call.
        var clock = Stopwatch.StartNew();
        Once();
        backend.Synchronize();
        var calls = Math.Clamp((int)(0.02 / clock.Elapsed.TotalSeconds), 1, 1000);
        var seconds = MedianSeconds(backend, () =>
        {
            for (var i = 0; i < calls; i++) Once();
        }, warmup: 1, repeats, budgetSeconds);
        return new BenchFigure(backend.Name, kind, subject, m, 2.0 * m * n * k * calls / seconds / 1e9, "GFLOP/s");
    }

    /// <summary>
    /// Milliseconds per training step (forward, backward, update) at a batch size, on random data, and what one
    /// whole step (the batch gathered on the device first, as training does) costs in launches, host
    /// synchronisations and allocations. Where steps run as CUDA graphs (<see cref="Backend.StepGraphs"/>), the timed
    /// step is a whole <see cref="TrainingStep"/> replayed as one, the gather included.
    /// </summary>
    public static BenchFigure TrainStep(Backend backend, NetworkSpec spec, Optimizer optimizer, int batch = 100, int repeats = 15,
        double budgetSeconds = DefaultBudgetSeconds)
    {
        using var model = Model.Create(spec, backend, 1);
        using var data = new DeviceDataset(backend, RandomDataset(spec, batch));
        using var step = new TrainingStep(model, optimizer, new TrainerOptions { BatchSize = batch }, data);
        var plan = step.Plan;
        ulong number = 0;
        Action once = backend.StepGraphs.Available ? () => step.Run(0, number++) : () =>
        {
            plan.Forward(new PassInfo(true, 1, number++));
            plan.Backward();
            optimizer.Step(model.Parameters, model.Gradients);
        };
        if (!backend.StepGraphs.Available) FillRandomBatch(backend, plan, spec.Classes);
        var seconds = MedianSeconds(backend, once, warmup: 3, repeats, budgetSeconds);
        var counted = CountStep(model, optimizer, batch);
        var perStep = new StepCost(backend.CountsLaunches ? counted.Launches : null, counted.Synchronizations, counted.Allocations,
            step.RunsAsGraph, step.GraphStatus);
        return new BenchFigure(backend.Name, "train", spec.Name ?? "custom", batch, seconds * 1000, "ms/step", perStep);
    }

    /// <summary>
    /// What one training step (gather, forward, backward, update; <see cref="TrainingStep"/>) of a model costs on its
    /// backend: the counters' difference across queuing it, on random data.
    /// </summary>
    public static BackendCounters CountStep(ITrainable model, Optimizer optimizer, int batch)
    {
        var backend = model.Backend;
        using var data = new DeviceDataset(backend, RandomDataset(model.Network.Spec, batch));
        using var step = new TrainingStep(model, optimizer, new TrainerOptions { BatchSize = batch }, data);
        var before = backend.Counters;
        step.Run(0, 0);
        var counted = backend.Counters - before;
        backend.Synchronize();
        return counted;
    }

    /// <summary>Random pixels and labels cycling through the classes, <paramref name="count"/> samples of the network's input shape.</summary>
    public static Dataset RandomDataset(NetworkSpec spec, int count)
    {
        var rng = new Random(1);
        var size = new Shape(spec.Input);
        var images = new byte[count * size.Size];
        rng.NextBytes(images);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % spec.Classes)).ToArray();
        return new Dataset(images, labels, size, spec.Classes, "random bytes");
    }

    /// <summary>
    /// Median per-layer forward and backward milliseconds of a training step, or with <paramref name="training"/>
    /// false the forward milliseconds of inference (each layer synchronised).
    /// </summary>
    public static IReadOnlyList<(string Layer, double ForwardMs, double BackwardMs)> ProfileStep(Backend backend, NetworkSpec spec, int batch = 100, int repeats = 9, bool training = true)
    {
        using var model = Model.Create(spec, backend, 1);
        var plan = model.GetPlan(batch, withLabels: training);
        FillRandomBatch(backend, plan, spec.Classes);
        var runs = Enumerable.Range(0, repeats + 2).Select(i => plan.ProfileLayers(new PassInfo(training, 1, (ulong)i))).Skip(2).ToList();
        return runs[0].Select((l, i) => (l.Layer, Median(runs.Select(r => r[i].ForwardMs)), Median(runs.Select(r => r[i].BackwardMs)))).ToList();

        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }
    }

    /// <summary>Images per second of inference (probabilities out) at a batch size.</summary>
    public static BenchFigure Infer(Backend backend, NetworkSpec spec, int batch = 1000, int repeats = 7, double budgetSeconds = DefaultBudgetSeconds)
    {
        using var model = Model.Create(spec, backend, 1);
        var plan = model.GetPlan(batch, withLabels: false);
        FillRandomBatch(backend, plan, spec.Classes);
        var seconds = MedianSeconds(backend, () => plan.Forward(new PassInfo(false, 0, 0)), warmup: 2, repeats, budgetSeconds);
        return new BenchFigure(backend.Name, "infer", spec.Name ?? "custom", batch, batch / seconds, "images/s");
    }

    /// <summary>Milliseconds of one inference (probabilities out) at batch 1: what an application answering one request waits.</summary>
    public static BenchFigure Latency(Backend backend, NetworkSpec spec, int repeats = 101, double budgetSeconds = DefaultBudgetSeconds)
    {
        using var model = Model.Create(spec, backend, 1);
        var plan = model.GetPlan(1, withLabels: false);
        FillRandomBatch(backend, plan, spec.Classes);
        var seconds = MedianSeconds(backend, () => plan.Forward(new PassInfo(false, 0, 0)), warmup: 2, repeats, budgetSeconds);
        return new BenchFigure(backend.Name, "latency", spec.Name ?? "custom", 1, seconds * 1000, "ms");
    }

    /// <summary>Random inputs in [0, 1) and labels cycling through the classes: what every timed step runs on.</summary>
    public static void FillRandomBatch(Backend backend, Plan plan, int classes)
    {
        var rng = new Random(1);
        var x = new float[plan.Input.Length];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        backend.Upload<float>(x, plan.Input);
        if (plan.Labels.Length > 0) backend.Upload<int>(Enumerable.Range(0, plan.Batch).Select(i => i % classes).ToArray(), plan.Labels);
    }
}
