using DeepGpu.Backends;
using DeepGpu.Backends.Ilgpu;
using DeepGpu.Diagnostics;
using DeepGpu.Kernels;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Optimizers;
using DeepGpu.Tests.Ops;
using DeepGpu.Tests.TestSupport;
using DeepGpu.Training;
using Xunit;
using Xunit.Abstractions;

namespace DeepGpu.Tests.Training;

/// <summary>
/// A training step reads what changes between steps (batch start, dropout and augmentation counters, Adam's t) from a
/// step record on the device, so consecutive steps queue the same launches with the same arguments (what lets a step be
/// replayed as a CUDA graph), and training computes what it computed with those values passed from the host.
/// </summary>
public sealed class StepRecordTests(IlgpuCpuFixture ilgpu, CpuFixture cpu, ITestOutputHelper output)
    : IClassFixture<IlgpuCpuFixture>, IClassFixture<CpuFixture>
{
    private const int Batch = 2;
    private const int Samples = 6;
    private static readonly int[] _input = [1, 8, 8];

    /// <summary>Every bench network with its optimizer (two-layer and mlp SGD, the convnets Adam, deep-convnet with dropout), with and without augmentation.</summary>
    public static TheoryData<string, bool> Presets => new()
    {
        { "two-layer", false }, { "mlp", false }, { "simple-convnet", false }, { "deep-convnet", false },
        { "two-layer", true }, { "mlp", true }, { "simple-convnet", true }, { "deep-convnet", true },
    };

    private static (Model Model, Optimizer Optimizer, DeviceDataset Data) Create(Backend backend, string network)
    {
        var (spec, newOptimizer) = QuickBench.TrainingCases.Single(c => c.Spec.Name == network);
        var sized = spec with { Input = _input };
        var model = Model.Create(sized, backend, 3);
        return (model, newOptimizer(), new DeviceDataset(backend, QuickBench.RandomDataset(sized, Samples)));
    }

    private static TrainerOptions Options(bool augment) =>
        new() { BatchSize = Batch, Seed = 11, Augment = augment ? new AugmentOptions() : null, WeightDecay = augment ? 0.01f : 0f };

    [Theory]
    [MemberData(nameof(Presets))]
    public void Consecutive_steps_queue_the_same_launches_with_the_same_arguments(string network, bool augment)
    {
        var backend = (IlgpuBackend)ilgpu.Backend;
        var (model, optimizer, data) = Create(backend, network);
        using var _ = model;
        using var __ = optimizer;
        using var ___ = data;
        using var step = new TrainingStep(model, optimizer, Options(augment), data);
        var first = new List<LaunchRecord>();
        var second = new List<LaunchRecord>();
        var before = backend.Counters;
        // Logged, not run: the simulator takes minutes per deep-convnet step, and what the kernels compute is checked by
        // the op case "step record" and the test below.
        try
        {
            backend.SkipLaunches = true;
            backend.LaunchLog = first;
            step.Run(0, 0);
            backend.LaunchLog = second;
            step.Run(Batch, 1);
        }
        finally
        {
            backend.LaunchLog = null;
            backend.SkipLaunches = false;
        }
        var cost = backend.Counters - before;
        output.WriteLine($"{network}, augment {augment}: {first.Count} launches per step");
        Assert.True(cost.Synchronizations == 0 && cost.Allocations == 0, $"{network}: {cost.Synchronizations} syncs, {cost.Allocations} allocations in two steps");
        Assert.True(first.Count == second.Count, $"{network}: {first.Count} launches in the first step, {second.Count} in the second");
        Assert.True(first.Count > 0, $"{network}: no launches recorded");
        for (var i = 0; i < first.Count; i++)
        {
            Assert.True(first[i].Kernel == second[i].Kernel && first[i].Arguments.SequenceEqual(second[i].Arguments),
                $"{network}, launch {i} differs between steps:\n  {first[i]}\n  {second[i]}");
        }
        Assert.Contains(first, l => l.Kernel == "DataKernels.GatherBatch");
        if (augment) Assert.Contains(first, l => l.Kernel == "DataKernels.Augment");
    }

    [Fact]
    public void The_launch_log_sees_a_changed_argument()
    {
        // The comparison above can fail: the same op with host values that differ gives different launches.
        var backend = (IlgpuBackend)ilgpu.Backend;
        using var x = backend.Allocate<float>(4);
        var log = new List<LaunchRecord>();
        backend.LaunchLog = log;
        try
        {
            backend.DropoutForward(x, x, x, 0.5f, 1, 0);
            backend.DropoutForward(x, x, x, 0.5f, 1, 4);
        }
        finally
        {
            backend.LaunchLog = null;
        }
        Assert.Equal(2, log.Count);
        Assert.False(log[0].Arguments.SequenceEqual(log[1].Arguments), $"{log[0]} and {log[1]} compare equal");
    }

    /// <summary>
    /// Five steps over an epoch boundary (three batches per epoch), once through <see cref="TrainingStep"/> and once the
    /// way steps ran before the record: each op given its step's values from the host. Adam's bias correction is computed
    /// in float on the device and in double on the host, so the parameters agree closely rather than to the bit.
    /// </summary>
    [Theory]
    [InlineData("cpu", "deep-convnet", true)]
    [InlineData("cpu", "simple-convnet", false)]
    [InlineData("cpu", "two-layer", true)]
    [InlineData("cpu", "mlp", false)]
    [InlineData("ilgpu-cpu", "two-layer", true)]
    public void Steps_that_read_the_record_train_as_steps_given_host_values(string backendName, string network, bool augment)
    {
        var backend = backendName == "cpu" ? cpu.Backend : ilgpu.Backend;
        var options = Options(augment);
        var (model, optimizer, data) = Create(backend, network);
        var (reference, referenceOptimizer, referenceData) = Create(backend, network);
        using var a = model;
        using var b = optimizer;
        using var c = data;
        using var d = reference;
        using var e = referenceOptimizer;
        using var f = referenceData;
        using (var step = new TrainingStep(model, optimizer, options, data))
        {
            for (var i = 0; i < 5; i++) step.Run(i % 3 * Batch, (ulong)i);
        }
        HostValuedSteps(reference, referenceOptimizer, referenceData, options, 5);

        var actual = model.Parameters.ToHostArray();
        var expected = reference.Parameters.ToHostArray();
        var worst = actual.Zip(expected, (x, y) => Math.Abs(x - y) / Math.Max(1f, Math.Abs(y))).Max();
        output.WriteLine($"{backendName} {network}: largest difference {worst:G3}, steps {optimizer.Steps}");
        Assert.True(worst <= 1e-5f, $"{backendName} {network}: parameters differ by up to {worst:G3} (relative) after 5 steps");
        Assert.Equal(referenceOptimizer.Steps, optimizer.Steps);
        // Training moved the parameters, so agreement is not both staying put.
        var (fresh, freshOptimizer, freshData) = Create(backend, network);
        using var g = fresh;
        using var h = freshOptimizer;
        using var k = freshData;
        var initial = fresh.Parameters.ToHostArray();
        Assert.True(actual.Zip(initial, (x, y) => Math.Abs(x - y)).Max() > 1e-4f, $"{network}: parameters did not move");
    }

    /// <summary>Steps as they ran before the record: gather, augmentation, dropout and Adam given their values by the host.</summary>
    private static void HostValuedSteps(Model model, Optimizer optimizer, DeviceDataset data, TrainerOptions options, int count)
    {
        var backend = model.Backend;
        var plan = model.GetPlan(Batch);
        optimizer.Bind(backend, model.Network.ParameterCount);
        using var staging = backend.Allocate<float>(plan.Input.Length);
        var weights = model.Parameters.Slice(0, model.Network.WeightCount);
        var grads = model.Gradients.Slice(0, model.Network.WeightCount);
        for (var i = 0; i < count; i++)
        {
            var start = i % 3 * Batch;
            if (options.Augment is { } augment)
            {
                data.Gather(start, Batch, staging, plan.Labels);
                backend.Augment(staging, plan.Input, Batch, 1, 8, 8, augment, options.Seed, (ulong)i);
            }
            else
            {
                data.Gather(start, Batch, plan.Input, plan.Labels);
            }
            plan.Forward(new PassInfo(true, options.Seed, (ulong)i));
            plan.Backward();
            if (options.WeightDecay > 0)
            {
                backend.AddScaled(weights, options.WeightDecay, grads);
                backend.SumOfSquares(weights, 0.5f * options.WeightDecay, plan.LossSum);
            }
            optimizer.Step(model.Parameters, model.Gradients);
        }
    }

    [Fact]
    public void Adams_step_size_in_float_matches_the_host_formula_in_double()
    {
        foreach (var t in new long[] { 1, 2, 3, 10, 100, 250, 1000, 60000, 1_000_000 })
        {
            var host = (float)(0.001 * Math.Sqrt(1.0 - Math.Pow(0.999f, t)) / (1.0 - Math.Pow(0.9f, t)));
            var device = StepRecordKernels.AdamRate(0.001f, 0.9f, 0.999f, t);
            Assert.True(Math.Abs(device - host) <= 1e-6f * host, $"t = {t}: {device:G9} on the device, {host:G9} on the host");
        }
    }

    [Fact]
    public void The_record_follows_the_trainers_steps_across_epochs_without_uploads()
    {
        var backend = cpu.Backend;
        using var record = new StepRecord(backend, 3, 10);
        record.SetNext(0, 0, 1);
        var before = backend.Counters;
        var expectedStarts = new[] { 0, 3, 6, 0, 3, 6, 0 };
        for (var i = 0; i < expectedStarts.Length; i++)
        {
            Assert.Equal(((ulong)i, expectedStarts[i], (long)i + 1), record.Next);
            record.SetNext((ulong)i, expectedStarts[i], i + 1);
            record.Advanced();
        }
        Assert.Equal(0, (backend.Counters - before).Synchronizations);
        record.SetNext(40, 3, 7);
        Assert.Equal(1, (backend.Counters - before).Synchronizations);
        Assert.Equal([40L, 3, 7, 3, 10], record.Buffer.ToHostArray()[StepRecordKernels.NextStep..]);
    }
}
