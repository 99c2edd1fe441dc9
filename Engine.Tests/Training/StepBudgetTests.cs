using DeepGpu.Backends;
using DeepGpu.Diagnostics;
using DeepGpu.Models;
using DeepGpu.Tests.Ops;
using Xunit;
using Xunit.Abstractions;

namespace DeepGpu.Tests.Training;

/// <summary>
/// A training step (gather, forward, backward, update) is a fixed list of launches with no host synchronisation and
/// no allocation. On a GPU each launch costs a few microseconds, which dominates the small networks, so the launches
/// per step of the bench's networks (batch 100) are pinned on the ILGPU backend (the same launches on every device).
/// No op launches per sample or per pixel, so the count depends on the layers alone, not on the batch or the image
/// size (checked below): at full size one step takes minutes on ILGPU's CPU simulator, so the networks are counted
/// at batch 2 on 8x8 images.
/// </summary>
public sealed class StepBudgetTests(IlgpuCpuFixture ilgpu, CpuFixture cpu, ITestOutputHelper output)
    : IClassFixture<IlgpuCpuFixture>, IClassFixture<CpuFixture>
{
    /// <summary>The most launches one step of each network may take.</summary>
    public static TheoryData<string, int> Budgets => new()
    {
        { "two-layer", 10 },
        { "mlp", 25 },
        { "simple-convnet", 18 },
        { "deep-convnet", 50 },
    };

    /// <summary>Queues one training step of a bench network with its optimizer and returns what it cost.</summary>
    internal static BackendCounters OneStep(Backend backend, string network, int batch, int[]? input = null)
    {
        var (spec, newOptimizer) = QuickBench.TrainingCases.Single(c => c.Spec.Name == network);
        using var model = Model.Create(input is null ? spec : spec with { Input = input }, backend, 1);
        using var optimizer = newOptimizer();
        return QuickBench.CountStep(model, optimizer, batch);
    }

    [Theory]
    [MemberData(nameof(Budgets))]
    public void A_step_on_the_ilgpu_backend_stays_within_its_launch_budget(string network, int budget)
    {
        var cost = OneStep(ilgpu.Backend, network, 2, [1, 8, 8]);
        output.WriteLine($"{network}: {cost.Launches} launches per step (budget {budget})");
        Assert.True(cost.Launches <= budget, $"{network}: {cost.Launches} launches per step, budget {budget}");
        Assert.True(cost.Synchronizations == 0, $"{network}: {cost.Synchronizations} host synchronisations per step");
        Assert.True(cost.Allocations == 0, $"{network}: {cost.Allocations} allocations per step");
    }

    [Theory]
    [MemberData(nameof(Budgets))]
    public void A_step_on_the_cpu_backend_neither_synchronises_nor_allocates(string network, int budget)
    {
        _ = budget;
        var cost = OneStep(cpu.Backend, network, 100);
        Assert.True(cost.Synchronizations == 0, $"{network}: {cost.Synchronizations} host synchronisations per step");
        Assert.True(cost.Allocations == 0, $"{network}: {cost.Allocations} allocations per step");
        Assert.Equal(0, cost.Launches);
    }

    [Fact]
    public void Launches_per_step_depend_on_the_layers_not_the_sizes()
    {
        Assert.Equal(OneStep(ilgpu.Backend, "two-layer", 1), OneStep(ilgpu.Backend, "two-layer", 7, [1, 8, 8]));
        Assert.Equal(OneStep(ilgpu.Backend, "simple-convnet", 1, [1, 12, 12]), OneStep(ilgpu.Backend, "simple-convnet", 3, [1, 8, 8]));
    }

    [Fact]
    public void Counters_see_launches_synchronisations_and_allocations()
    {
        var backend = ilgpu.Backend;
        var before = backend.Counters;
        using var x = backend.Allocate<float>(5);
        backend.Fill(x, 1f);
        backend.Copy(x.Slice(0, 2), x.Slice(2, 2));
        var values = new float[5];
        backend.Download(x.View, values);
        backend.Synchronize();
        Assert.Equal(new BackendCounters(2, 2, 1), backend.Counters - before);
    }
}
