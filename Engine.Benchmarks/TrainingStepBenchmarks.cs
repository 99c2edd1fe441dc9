using BenchmarkDotNet.Attributes;
using DeepGpu.Backends;
using DeepGpu.Diagnostics;
using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Optimizers;

namespace DeepGpu.Benchmarks;

/// <summary>
/// One training step (forward, backward, update) at batch 100 of each of the book's networks, on every
/// backend present (ILGPU's CPU simulator left out: one step takes it many seconds).
/// </summary>
public class TrainingStepBenchmarks : IDisposable
{
    private Backend? backend;
    private Model? model;
    private Optimizer? optimizer;
    private Plan? plan;
    private ulong step;

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "cpu";

    [ParamsSource(nameof(Models))]
    public string Network { get; set; } = "two-layer";

    public static IEnumerable<string> Backends() =>
        BackendFactory.Probe().Where(d => d.Accepted && d.Backend != "ilgpu-cpu").Select(d => d.Backend).Distinct();

    public static IEnumerable<string> Models() => Configs.IsSmoke ? ["two-layer"] : QuickBench.TrainingCases.Select(c => c.Spec.Name!);

    [GlobalSetup]
    public void Setup()
    {
        var (spec, makeOptimizer) = QuickBench.TrainingCases.Single(c => c.Spec.Name == Network);
        backend = BackendFactory.Create(Backend);
        model = Model.Create(spec, backend, seed: 1);
        plan = model.GetPlan(100);
        QuickBench.FillRandomBatch(backend, plan, spec.Classes);
        optimizer = makeOptimizer();
        optimizer.Bind(backend, model.Network.ParameterCount);
    }

    [Benchmark]
    public void Step()
    {
        plan!.Forward(new PassInfo(true, 1, step++));
        plan.Backward();
        optimizer!.Step(model!.Parameters, model.Gradients);
        backend!.Synchronize();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        optimizer?.Dispose();
        model?.Dispose();
        backend?.Dispose();
        GC.SuppressFinalize(this);
    }
}
