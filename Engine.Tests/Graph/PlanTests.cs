using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Layers;
using DeepGpu.Models;
using Xunit;

namespace DeepGpu.Tests.Graph;

public sealed class PlanTests
{
    [Fact]
    public void Activations_after_convolutions_and_affine_layers_are_fused_in_the_plan_only()
    {
        using var backend = new CpuBackend();
        using var model = Model.Create(Networks.SimpleConvNet(), backend, 1);
        var names = model.Network.Layers.Select(l => l.Name).ToList();
        Assert.Equal(["convolution1", "relu1", "maxpool1", "affine1", "relu2", "affine2", "softmax1"], names);
        Assert.IsType<ActivationLayer>(model.Network.Layers[1]);
        Assert.IsType<ActivationLayer>(model.Network.Layers[4]);

        // The profile keeps one row per layer of the network; a fused ReLU runs inside the layer before it, so its row is empty.
        var profile = model.GetPlan(4).ProfileLayers(new PassInfo(true, 1, 0));
        Assert.Equal(names, profile.Select(p => p.Layer));
        Assert.Equal((0.0, 0.0), (profile[1].ForwardMs, profile[1].BackwardMs));
        Assert.Equal((0.0, 0.0), (profile[4].ForwardMs, profile[4].BackwardMs));
        Assert.True(profile[3].ForwardMs > 0, $"affine1 with its ReLU took {profile[3].ForwardMs} ms");
    }

    [Fact]
    public void Metrics_are_read_by_name()
    {
        using var backend = new CpuBackend();
        using var model = Model.Create(Networks.TwoLayer(), backend, 1);
        var plan = model.GetPlan(3);
        backend.Upload<float>(new float[plan.Input.Length], plan.Input);
        backend.Upload<int>([0, 1, 2], plan.Labels);
        plan.ResetMetrics();
        plan.Forward(new PassInfo(false, 0, 0));
        var first = plan.ReadMetrics();
        plan.Forward(new PassInfo(false, 0, 0));
        var twice = plan.ReadMetrics();
        // Zero input: every class scores its bias (0), so the loss is ln 10 and the first class wins every row.
        Assert.True(Math.Abs(first.LossSum - Math.Log(10)) < 1e-5, $"loss {first.LossSum}");
        Assert.Equal(1f, first.Correct);
        Assert.Equal(2 * first.LossSum, twice.LossSum, 5);
        Assert.Equal(2f, twice.Correct);
    }
}
