using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Backends.Ilgpu;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>
/// The op contract: a call with bad arguments fails before any backend code runs, with the same
/// <see cref="ArgumentException"/> and sentence on every backend at hand (cpu and ILGPU's CPU accelerator here;
/// the GPU backends share the same base class). One test per family of checks.
/// </summary>
public sealed class OpContractTests : IDisposable
{
    private readonly Backend[] _backends = [new CpuBackend(), new IlgpuBackend("ilgpu-cpu")];

    public void Dispose()
    {
        foreach (var b in _backends) b.Dispose();
    }

    /// <summary>Runs the bad call on every backend and returns its one message, after checking they all agree.</summary>
    private string FailsAlike(Action<Backend> call)
    {
        var messages = _backends.Select(b =>
        {
            var e = Assert.Throws<ArgumentException>(() => call(b));
            Assert.Null(e.ParamName);
            return e.Message;
        }).ToList();
        foreach (var (m, b) in messages.Zip(_backends)) Assert.True(m == messages[0], $"{b.Name} says \"{m}\" but {_backends[0].Name} says \"{messages[0]}\"");
        return messages[0];
    }

    [Fact]
    public void ElementWiseOpsNeedViewsOfOneLength()
    {
        Assert.Equal("Copy needs destination as long as source (5 elements); it holds 4.",
            FailsAlike(b => b.Copy(b.Allocate<float>(5), b.Allocate<float>(4))));
        Assert.Equal("Copy needs destination as long as source (5 elements); it holds 6.",
            FailsAlike(b => b.Copy(b.Allocate<float>(5), b.Allocate<float>(6))));
        Assert.Equal("AddScaled needs y as long as x (3 elements); it holds 2.",
            FailsAlike(b => b.AddScaled(b.Allocate<float>(3), 1f, b.Allocate<float>(2))));
        Assert.Equal("Multiply needs mask as long as x (3 elements); it holds 2.",
            FailsAlike(b => b.Multiply(b.Allocate<float>(3), b.Allocate<float>(2), b.Allocate<float>(3))));
        Assert.Equal("ActivationBackward needs dx as long as y (8 elements); it holds 7.",
            FailsAlike(b => b.ActivationBackward(Activation.Tanh, b.Allocate<float>(8), b.Allocate<float>(8), b.Allocate<float>(7))));
        Assert.Equal("DropoutForward needs mask as long as x (4 elements); it holds 3.",
            FailsAlike(b => b.DropoutForward(b.Allocate<float>(4), b.Allocate<float>(4), b.Allocate<float>(3), 0.5f, 1, 0)));
    }

    [Fact]
    public void ShapedOpsNeedViewsThatHoldTheShape()
    {
        Assert.Equal("Gemm needs c to hold at least 12 elements; it holds 11.",
            FailsAlike(b => b.Gemm(false, false, 3, 4, 2, 1f, b.Allocate<float>(6), b.Allocate<float>(8), 0f, b.Allocate<float>(11))));
        Assert.Equal("Softmax needs y to hold at least 20 elements; it holds 10.",
            FailsAlike(b => b.Softmax(b.Allocate<float>(20), b.Allocate<float>(10), 2, 10)));
        Assert.Equal("SoftmaxCrossEntropy needs labels to hold at least 4 elements; it holds 3.",
            FailsAlike(b => b.SoftmaxCrossEntropy(b.Allocate<float>(40), b.Allocate<int>(3), b.Allocate<float>(40), b.Allocate<float>(1), 4, 10)));
        Assert.Equal("CountCorrect needs counter to hold at least 1 elements; it holds 0.",
            FailsAlike(b => b.CountCorrect(b.Allocate<float>(40), b.Allocate<int>(4), b.Allocate<float>(0), 4, 10)));
        Assert.Equal("BiasGradient needs db to hold at least 5 elements; it holds 4.",
            FailsAlike(b => b.BiasGradient(b.Allocate<float>(10), b.Allocate<float>(4), 2, 5)));
        Assert.Equal("SoftmaxLoss needs DLogits to hold at least 40 elements; it holds 39.",
            FailsAlike(b => b.SoftmaxLoss(new SoftmaxLossBuffers
            {
                Logits = b.Allocate<float>(40), Labels = b.Allocate<int>(4), Probabilities = b.Allocate<float>(40), LossSum = b.Allocate<float>(1),
                CorrectCount = b.Allocate<float>(1), DLogits = b.Allocate<float>(39),
            }, 4, 10)));
        Assert.Equal("AffineForward needs B to hold at least 3 elements; it holds 2.",
            FailsAlike(b => b.AffineForward(new AffineGeometry(2, 4, 3), Activation.Relu, new AffineForwardBuffers
            {
                X = b.Allocate<float>(8), W = b.Allocate<float>(12), B = b.Allocate<float>(2), Y = b.Allocate<float>(6),
            })));
        Assert.Equal("AffineBackward needs Y to hold at least 6 elements; it holds 0.",
            FailsAlike(b => b.AffineBackward(new AffineGeometry(2, 4, 3), Activation.Sigmoid, new AffineBackwardBuffers
            {
                X = b.Allocate<float>(8), W = b.Allocate<float>(12), DY = b.Allocate<float>(6), DX = default, DW = b.Allocate<float>(12),
                DB = b.Allocate<float>(3),
            })));
    }

    [Fact]
    public void NegativeSizesAreRefused()
    {
        Assert.Equal("AddBias got rows = -1; sizes must not be negative.",
            FailsAlike(b => b.AddBias(b.Allocate<float>(4), b.Allocate<float>(4), -1, 4)));
        Assert.Equal("Gemm got k = -2; sizes must not be negative.",
            FailsAlike(b => b.Gemm(false, false, 1, 1, -2, 1f, b.Allocate<float>(1), b.Allocate<float>(1), 0f, b.Allocate<float>(1))));
        Assert.Equal("Allocate got length = -1; sizes must not be negative.", FailsAlike(b => b.Allocate<float>(-1)));
    }

    [Fact]
    public void HostCopiesNeedEqualLengths()
    {
        Assert.Equal("Upload needs destination to hold 3 elements, as many as the host span; it holds 4.",
            FailsAlike(b => b.Upload<float>(new float[3], b.Allocate<float>(4))));
        Assert.Equal("Download needs source to hold 2 elements, as many as the host span; it holds 4.",
            FailsAlike(b => b.Download(b.Allocate<int>(4).View, new int[2].AsSpan())));
    }

    [Fact]
    public void UndefinedModesAndRatiosAreRefused()
    {
        Assert.Equal("ActivationForward got kind = 7, which is not one of the Activation values.",
            FailsAlike(b => b.ActivationForward((Activation)7, b.Allocate<float>(2), b.Allocate<float>(2))));
        Assert.Equal("DropoutForward got ratio = 1; it must lie in [0, 1).",
            FailsAlike(b => b.DropoutForward(b.Allocate<float>(2), b.Allocate<float>(2), b.Allocate<float>(2), 1f, 1, 0)));
        var g = new PoolingGeometry(1, 1, 4, 4, 2, 2, 0);
        Assert.Equal("PoolingForward got mode = 9, which is not one of the PoolingMode values.",
            FailsAlike(b => b.PoolingForward((PoolingMode)9, g, b.Allocate<float>(16), b.Allocate<float>(4), b.Allocate<int>(4))));
    }

    [Fact]
    public void GeometriesWithoutOutputAreRefused()
    {
        var conv = new ConvolutionGeometry(1, 1, 3, 3, 2, 5, 5, 1, 0);
        Assert.StartsWith("ConvolutionWorkspaceLength got the geometry ConvolutionGeometry { Batch = 1,",
            FailsAlike(b => b.ConvolutionWorkspaceLength(conv)));
        var pool = new PoolingGeometry(1, 1, 4, 4, 2, 2, 2);
        Assert.StartsWith("PoolingBackward got the geometry PoolingGeometry {",
            FailsAlike(b => b.PoolingBackward(PoolingMode.Average, pool, b.Allocate<float>(100), default, b.Allocate<float>(100))));
        Assert.StartsWith("BatchNormBackward got the geometry NormalizationGeometry { Batch = 0,",
            FailsAlike(b => b.BatchNormBackward(new NormalizationGeometry(0, 2, 1), new BatchNormBackwardBuffers
            {
                X = default, Gamma = default, DY = default, SavedMean = default, SavedInvStd = default, DX = default, DGamma = default, DBeta = default,
            })));
    }

    [Fact]
    public void ParameterRecordsAreCheckedMemberByMember()
    {
        var g = new ConvolutionGeometry(2, 1, 5, 5, 3, 3, 3, 1, 0);
        Assert.Equal($"ConvolutionBackward needs DW to hold at least {g.WeightLength} elements; it holds 26.", FailsAlike(b =>
        {
            var ws = b.Allocate<float>((int)b.ConvolutionWorkspaceLength(g));
            b.ConvolutionBackward(g, new ConvolutionBackwardBuffers
            {
                X = b.Allocate<float>(g.InputLength), W = b.Allocate<float>(g.WeightLength), DY = b.Allocate<float>(g.OutputLength),
                DX = default, DW = b.Allocate<float>(26), DB = b.Allocate<float>(3), Workspace = ws,
            });
        }));
        Assert.Equal($"ConvolutionReluBackward needs y to hold at least {g.OutputLength} elements; it holds 5.", FailsAlike(b =>
            b.ConvolutionReluBackward(g, new ConvolutionBackwardBuffers
            {
                X = b.Allocate<float>(g.InputLength), W = b.Allocate<float>(g.WeightLength), DY = b.Allocate<float>(g.OutputLength),
                DX = b.Allocate<float>(g.InputLength), DW = b.Allocate<float>(g.WeightLength), DB = b.Allocate<float>(3),
                Workspace = b.Allocate<float>((int)b.ConvolutionWorkspaceLength(g)),
            }, b.Allocate<float>(5))));

        // Saved statistics are needed in training only.
        var norm = new NormalizationGeometry(2, 3, 4);
        BatchNormForwardBuffers Norm(Backend b) => new()
        {
            X = b.Allocate<float>(norm.Length), Gamma = b.Allocate<float>(3), Beta = b.Allocate<float>(3), Y = b.Allocate<float>(norm.Length),
            RunningMean = b.Allocate<float>(3), RunningVar = b.Allocate<float>(3), SavedMean = default, SavedInvStd = default,
        };
        Assert.Equal("BatchNormForward needs SavedMean to hold at least 3 elements; it holds 0.",
            FailsAlike(b => b.BatchNormForward(norm, new BatchNormSettings { Training = true, Momentum = 0.9f, Epsilon = 1e-5f }, Norm(b))));
        foreach (var b in _backends) b.BatchNormForward(norm, new BatchNormSettings { Training = false, Momentum = 0.9f, Epsilon = 1e-5f }, Norm(b));

        Assert.Equal("ApplyUpdate needs SecondState to hold at least 6 elements; it holds 0.", FailsAlike(b =>
            b.ApplyUpdate(UpdateRule.Adam, new UpdateHyper(0.1f, 0.9f, 0.999f),
                new UpdateBuffers { Parameters = b.Allocate<float>(6), Gradients = b.Allocate<float>(6), FirstState = b.Allocate<float>(6) })));
        Assert.Equal("GatherBatch needs Order to hold at least 5 elements; it holds 4.", FailsAlike(b =>
            b.GatherBatch(new GatherBatchArgs
            {
                Images = b.Allocate<byte>(8), Labels = b.Allocate<byte>(4), Order = b.Allocate<int>(4), Start = 2, Count = 3, SampleLength = 2,
                Scale = 1f, X = b.Allocate<float>(6), Y = b.Allocate<int>(3),
            })));
    }

    [Fact]
    public void BuffersOfAnotherBackendAreRefused()
    {
        var (cpu, ilgpu) = (_backends[0], _backends[1]);
        var e = Assert.Throws<ArgumentException>(() => cpu.Copy(ilgpu.Allocate<float>(3), cpu.Allocate<float>(3)));
        Assert.Equal($"Copy got source from {ilgpu}; only buffers of {cpu} can be passed to it.", e.Message);
        e = Assert.Throws<ArgumentException>(() => ilgpu.Fill(cpu.Allocate<float>(3), 1f));
        Assert.Equal($"Fill got x from {cpu}; only buffers of {ilgpu} can be passed to it.", e.Message);
    }

    [Fact]
    public void FeatureOpsAreCheckedLikeOps()
    {
        Assert.Equal("Augment needs y to hold at least 24 elements; it holds 23.",
            FailsAlike(b => b.Augment(b.Allocate<float>(24), b.Allocate<float>(23), 2, 1, 3, 4, new AugmentOptions(), 1, 0)));
        Assert.Equal("Augment got height = -3; sizes must not be negative.",
            FailsAlike(b => b.Augment(b.Allocate<float>(24), b.Allocate<float>(24), 2, 1, -3, 4, new AugmentOptions(), 1, 0)));
        foreach (var b in _backends)
        {
            Assert.True(b.CanAugment() && b.CanRoundToHalf(), $"{b.Name} lost a device-side feature");
        }
    }
}
