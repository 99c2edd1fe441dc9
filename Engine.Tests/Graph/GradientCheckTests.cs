using DeepGpu.Backends;
using DeepGpu.Graph;
using DeepGpu.Initializers;
using DeepGpu.Layers;
using DeepGpu.Diagnostics;
using DeepGpu.Models;

namespace DeepGpu.Tests.Graph;

/// <summary>Numerical gradient checks of every layer and of whole networks, run on each backend.</summary>
public abstract class GradientCheckTests
{
    protected abstract Backend CreateBackend();

    private void AssertGradients(NetworkSpec spec, int batch = 3, int seed = 1)
    {
        using var backend = CreateBackend();
        using var model = Model.Create(spec, backend, seed: (ulong)seed);
        var (x, labels) = GradientChecker.RandomBatch(spec, batch, seed);
        var failures = GradientChecker.Check(model, x, labels);
        Assert.True(failures.Count == 0, $"{failures.Count} gradients disagree on {backend.Name}:\n" + string.Join("\n", failures.Take(10)));
    }

    private static NetworkSpec Flat(int inputs, int classes, params LayerSpec[] layers) => new([inputs], layers, classes);

    private static AffineSpec Affine(int n) => new(n) { Init = WeightInit.Normal(0.5f) };

    [Fact]
    public void Affine_with_softmax_loss() => AssertGradients(Flat(5, 4, Affine(4), new SoftmaxWithLossSpec()));

    [Fact]
    public void Affine_with_squared_error_loss() => AssertGradients(Flat(5, 4, Affine(4), new MeanSquaredErrorSpec()));

    [Theory]
    [InlineData("relu")]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    public void Activation_between_affine_layers(string activation)
    {
        LayerSpec act = activation switch { "relu" => new ReluSpec(), "sigmoid" => new SigmoidSpec(), _ => new TanhSpec() };
        AssertGradients(Flat(6, 3, Affine(7), act, Affine(3), new SoftmaxWithLossSpec()));
    }

    [Fact]
    public void Two_layer_net() => AssertGradients(new NetworkSpec([1, 4, 4], [Affine(6), new ReluSpec(), Affine(10), new SoftmaxWithLossSpec()]), batch: 4);

    [Fact]
    public void Multi_layer_net_with_batch_one() =>
        AssertGradients(Networks.Mlp([8, 6], Activation.Tanh, WeightInit.Xavier, input: [12]), batch: 1);
}

public sealed class CpuGradientCheckTests : GradientCheckTests
{
    protected override Backend CreateBackend() => new DeepGpu.Backends.Cpu.CpuBackend();
}
