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
    private Backend? _backend;
    private Model? _model;
    private Optimizer? _optimizer;
    private Plan? _plan;
    private ulong _step;

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
        _backend = BackendFactory.Create(Backend);
        _model = Model.Create(spec, _backend, seed: 1);
        _plan = _model.GetPlan(100);
        QuickBench.FillRandomBatch(_backend, _plan, spec.Classes);
        _optimizer = makeOptimizer();
        _optimizer.Bind(_backend, _model.Network.ParameterCount);
    }

    [Benchmark]
    public void Step()
    {
        _plan!.Forward(new PassInfo(true, 1, _step++));
        _plan.Backward();
        _optimizer!.Step(_model!.Parameters, _model.Gradients);
        _backend!.Synchronize();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _optimizer?.Dispose();
        _model?.Dispose();
        _backend?.Dispose();
        GC.SuppressFinalize(this);
    }
}
