using DeepGpu.Backends;
using DeepGpu.Diagnostics;
using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Tests.Ops;
using DeepGpu.Tests.TestSupport;

namespace DeepGpu.Tests.Graph;

/// <summary>
/// The book's numerical gradient check (central differences) for every layer type and small whole networks,
/// through the layer graph, plus the golden small convnet, on each backend.
/// </summary>
public abstract class GradientCheckTests(Backend backend)
{
    public static TheoryData<string> Cases => new(SelfCheck.GradientCases.Select(c => c.Name));

    [OpTheory]
    [MemberData(nameof(Cases))]
    public void Backprop_matches_central_differences(string name)
    {
        var (_, spec, batch) = SelfCheck.GradientCases.Single(c => c.Name == name);
        using var model = Model.Create(spec, backend, seed: 3);
        var (x, labels) = GradientChecker.RandomBatch(spec, batch, seed: 3);
        var failures = GradientChecker.Check(model, x, labels);
        Assert.True(failures.Count == 0, $"{failures.Count} gradients disagree on {backend.Name}:\n" + string.Join("\n", failures.Take(10)));
    }

    [OpFact]
    public void Simple_convnet_gradients_on_a_small_input()
    {
        // The book's ch.7 gradient check: SimpleConvNet's layers on a small image, 10 classes. Wider weights than
        // the preset's 0.01 keep pre-activations off Relu's kink, where central differences are meaningless.
        var wide = Initializers.WeightInit.Normal(0.3f);
        var spec = new NetworkSpec([1, 10, 10],
        [
            new ConvolutionSpec(3, 5) { Init = wide }, new ReluSpec(), new PoolingSpec(2, 2),
            new AffineSpec(20) { Init = wide }, new ReluSpec(), new AffineSpec(10) { Init = wide }, new SoftmaxWithLossSpec(),
        ]);
        using var model = Model.Create(spec, backend, seed: 2);
        var (x, labels) = GradientChecker.RandomBatch(model.Spec, 2, seed: 2);
        var failures = GradientChecker.Check(model, x, labels, perTensor: 6);
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    [OpFact]
    public void Small_convnet_matches_the_golden_loss_and_gradients()
    {
        var gd = GoldenData.Load("network_small_convnet");
        var spec = new NetworkSpec([1, 8, 8],
            [new ConvolutionSpec(2, 3), new ReluSpec(), new PoolingSpec(2, 2), new AffineSpec(5), new ReluSpec(), new AffineSpec(3), new SoftmaxWithLossSpec()], 3);
        using var model = Model.Create(spec, backend);
        var names = new Dictionary<string, string>
        {
            ["convolution1.W"] = "W1", ["convolution1.b"] = "b1", ["affine1.W"] = "W2", ["affine1.b"] = "b2", ["affine2.W"] = "W3", ["affine2.b"] = "b3",
        };
        var p = new float[model.Network.ParameterCount];
        foreach (var slot in model.Network.Parameters) gd.In(names[slot.FullName]).Floats.CopyTo(p, slot.Offset);
        model.SetParameters(p);

        var loss = GradientChecker.Loss(model, gd.In("x").Floats, gd.In("labels").Ints);
        Assert.Equal(gd.Out("loss").Data[0], loss, 1e-5);
        model.GetPlan(2).Backward();
        var grads = model.GetGradients();
        foreach (var slot in model.Network.Parameters)
        {
            var expected = gd.Out("d" + names[slot.FullName]).Data;
            for (var i = 0; i < slot.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - grads[slot.Offset + i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]),
                    $"{slot.FullName}[{i}]: {grads[slot.Offset + i]} vs golden {expected[i]}");
            }
        }
    }
}

public sealed class CpuGradientCheckTests(CpuFixture f) : GradientCheckTests(f.Backend), IClassFixture<CpuFixture>;

public sealed class IlgpuCpuGradientCheckTests(IlgpuCpuFixture f) : GradientCheckTests(f.Backend), IClassFixture<IlgpuCpuFixture>;

[RequiresDevice("cuda")]
public sealed class CudaGradientCheckTests(CudaFixture f) : GradientCheckTests(f.Backend), IClassFixture<CudaFixture>;

[RequiresDevice("opencl")]
public sealed class OpenClGradientCheckTests(OpenClFixture f) : GradientCheckTests(f.Backend), IClassFixture<OpenClFixture>;
