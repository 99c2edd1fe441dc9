using DeepGpu.Backends;
using DeepGpu.Backends.Ilgpu;
using DeepGpu.Diagnostics;
using DeepGpu.Models;
using DeepGpu.Tests.Ops;
using DeepGpu.Tests.TestSupport;
using DeepGpu.Training;
using Xunit;
using Xunit.Abstractions;

namespace DeepGpu.Tests.Training;

/// <summary>
/// Training steps as CUDA graphs: on CUDA, steps replayed from a recording leave the parameters bit-identical to steps
/// queued launch by launch; elsewhere a step says why it runs plain launches, and trains as before.
/// </summary>
public abstract class StepGraphTests(Backend backend, ITestOutputHelper output)
{
    protected Backend Backend { get; } = backend;

    /// <summary>Trains <paramref name="steps"/> steps of a bench network on random 8x8 images and returns the parameters and how the steps ran.</summary>
    protected (float[] Parameters, bool Graph, string Status) Train(string network, bool plain, int steps = 6)
    {
        var (spec, newOptimizer) = QuickBench.TrainingCases.Single(c => c.Spec.Name == network);
        var sized = spec with { Input = [1, 8, 8] };
        using var model = Model.Create(sized, Backend, 5);
        using var optimizer = newOptimizer();
        using var data = new DeviceDataset(Backend, QuickBench.RandomDataset(sized, 8));
        var options = new TrainerOptions { BatchSize = 4, Seed = 3, Augment = new AugmentOptions(), WeightDecay = 0.001f };
        using var step = new TrainingStep(model, optimizer, options, data) { PlainLaunches = plain };
        for (var i = 0; i < steps; i++) step.Run(i % 2 * 4, (ulong)i);
        var values = model.Parameters.ToHostArray();
        output.WriteLine($"{Backend.Name} {network}: graph {step.RunsAsGraph} ({step.GraphStatus})");
        return (values, step.RunsAsGraph, step.GraphStatus);
    }
}

[RequiresDevice("cuda")]
public sealed class CudaStepGraphTests(CudaFixture f, ITestOutputHelper output) : StepGraphTests(f.Backend, output), IClassFixture<CudaFixture>
{
    [OpTheory]
    [InlineData("two-layer")]
    [InlineData("simple-convnet")]
    [InlineData("deep-convnet")]
    public void Replayed_steps_leave_the_parameters_bit_identical_to_plain_launches(string network)
    {
        Assert.True(Backend.StepGraphs.Available, $"CUDA graphs unavailable: {Backend.StepGraphs.Reason}");
        var replayed = Train(network, plain: false);
        var plain = Train(network, plain: true);
        Assert.True(replayed.Graph, $"{network}: steps did not replay a graph: {replayed.Status}");
        Assert.False(plain.Graph);
        var differing = replayed.Parameters.Zip(plain.Parameters).Count(p => BitConverter.SingleToInt32Bits(p.First) != BitConverter.SingleToInt32Bits(p.Second));
        Assert.True(differing == 0, $"{network}: {differing} of {plain.Parameters.Length} parameters differ between replayed and plain steps");
    }

    [OpFact]
    public void A_replayed_step_counts_the_launches_of_the_recorded_one()
    {
        var (spec, newOptimizer) = QuickBench.TrainingCases.Single(c => c.Spec.Name == "simple-convnet");
        using var model = Model.Create(spec with { Input = [1, 8, 8] }, Backend, 5);
        using var optimizer = newOptimizer();
        using var data = new DeviceDataset(Backend, QuickBench.RandomDataset(model.Network.Spec, 4));
        using var step = new TrainingStep(model, optimizer, new TrainerOptions { BatchSize = 2 }, data);
        var before = Backend.Counters;
        step.Run(0, 0);
        var recorded = Backend.Counters - before;
        before = Backend.Counters;
        step.Run(2, 1);
        var replayed = Backend.Counters - before;
        Assert.True(step.RunsAsGraph, step.GraphStatus);
        Assert.True(recorded.Launches > 0 && replayed == recorded, $"the recorded step counted {recorded}, a replay {replayed}");
    }
}

public sealed class IlgpuCpuStepGraphTests(IlgpuCpuFixture f, ITestOutputHelper output) : StepGraphTests(f.Backend, output), IClassFixture<IlgpuCpuFixture>
{
    [Fact]
    public void Steps_run_plain_launches_and_say_why()
    {
        var support = Backend.StepGraphs;
        Assert.False(support.Available);
        Assert.True(support.Reason.Contains("CUDA", StringComparison.Ordinal) || support.Reason.Contains("DEEPGPU_CUDA_GRAPHS=0", StringComparison.Ordinal),
            $"reason: {support.Reason}");
        var withGraphs = Train("two-layer", plain: false, steps: 3);
        var plain = Train("two-layer", plain: true, steps: 3);
        Assert.False(withGraphs.Graph);
        Assert.Equal(support.Reason, withGraphs.Status);
        Assert.Equal(plain.Parameters, withGraphs.Parameters);
        Assert.Null(Backend.TryRecord(() => throw new InvalidOperationException("a step was queued"), out var reason));
        Assert.Equal(support.Reason, reason);
    }
}

public sealed class StepGraphSupportTests
{
    [Fact]
    public void Each_reason_against_graphs_is_reported()
    {
        static string? Present() => null;
        Assert.Equal(new StepGraphSupport(false, "DEEPGPU_CUDA_GRAPHS=0 turns CUDA graphs off"), IlgpuBackend.StepGraphsFor("0", null, false, Present));
        Assert.Equal(new StepGraphSupport(false, "not CUDA"), IlgpuBackend.StepGraphsFor(null, "not CUDA", false, Present));
        Assert.Contains("cuBLAS", IlgpuBackend.StepGraphsFor("1", null, true, Present).Reason);
        Assert.Equal(new StepGraphSupport(false, "libcuda.so.1 could not be loaded"), IlgpuBackend.StepGraphsFor(null, null, false, () => "libcuda.so.1 could not be loaded"));
        Assert.True(IlgpuBackend.StepGraphsFor(null, null, false, Present).Available);
    }

    [Fact]
    public void The_cpu_backend_has_no_launches_to_record()
    {
        using var cpu = BackendFactory.Create("cpu");
        Assert.False(cpu.StepGraphs.Available);
        Assert.Contains("runs ops as calls", cpu.StepGraphs.Reason);
    }
}
