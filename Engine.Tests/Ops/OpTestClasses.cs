using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Diagnostics;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>
/// The op suite on the managed cpu backend, once per SIMD tier (every tier must give the same results); a tier this
/// CPU does not accelerate is reported as skipped with the reason. Adds the cases only the cpu backend has.
/// </summary>
public abstract class CpuTierOpTests(Backend backend) : BackendOpTests(backend)
{
    private CpuBackend Cpu => (CpuBackend)Backend;

    [OpFact]
    public void RunsOnItsTier()
    {
        var tier = GetType().GetCustomAttributes(typeof(RequiresCpuTierAttribute), false).Cast<RequiresCpuTierAttribute>().Single().Tier;
        Assert.Equal(tier, Cpu.Tier);
    }

    // ---- the shared tests on the sizes that reach the cpu backend's own paths (too slow for the simulator) ----

    /// <summary>
    /// The direct path (stride 1, pad below the kernel): a last group of one image, filters off the multiples of 8 and
    /// 16, pad = K - 1 (dy unpadded), and MNIST's first layer with 30 filters, also at batch 1 (one group of one image).
    /// </summary>
    private static readonly ConvolutionGeometry[] _cpuConvolutionShapes =
    [
        new(13, 3, 8, 8, 9, 3, 3, 1, 1), new(4, 7, 8, 8, 33, 3, 3, 1, 1), new(2, 16, 14, 14, 32, 3, 3, 1, 2), new(5, 1, 28, 28, 30, 5, 5, 1, 0),
        new(1, 1, 28, 28, 30, 5, 5, 1, 0),
    ];

    public static TheoryData<int, bool> CpuConvolutionCases() => Cases(_cpuConvolutionShapes.Length);

    [OpTheory]
    [MemberData(nameof(CpuConvolutionCases))]
    public void ConvolutionOnCpuPaths(int shape, bool relu) => Check(OpCases.Convolution(_cpuConvolutionShapes[shape], relu));

    /// <summary>Max and average pooling split across the workers.</summary>
    [OpTheory]
    [InlineData(PoolingMode.Max)]
    [InlineData(PoolingMode.Average)]
    public void PoolingAcrossWorkers(PoolingMode mode) => PoolingForwardAndBackward(mode, 8, 30, 24, 24, 2, 2, 0);

    /// <summary>Several chunks of the workers, and a vector tail.</summary>
    [OpTheory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void ActivationAcrossWorkers(Activation kind) => ActivationForwardAndBackward(kind, 140_001);

    /// <summary>Long enough for the vector body, the scalar tail and several workers.</summary>
    [OpTheory]
    [InlineData(UpdateRule.Sgd)]
    [InlineData(UpdateRule.Momentum)]
    [InlineData(UpdateRule.Nesterov)]
    [InlineData(UpdateRule.AdaGrad)]
    [InlineData(UpdateRule.RmsProp)]
    [InlineData(UpdateRule.Adam)]
    public void ApplyUpdateAcrossWorkers(UpdateRule rule) => ApplyUpdateThreeSteps(rule, 140_003);

    private static readonly ConvolutionGeometry[] _allConvolutionShapes = [.. OpCases.ConvolutionShapes, .. _cpuConvolutionShapes];

    public static TheoryData<int, bool> AllConvolutionCases() => Cases(_allConvolutionShapes.Length);

    /// <summary>The im2col + GEMM path on the shapes the direct path takes by default (the scalar tier always takes im2col).</summary>
    [OpTheory]
    [MemberData(nameof(AllConvolutionCases))]
    public void Im2ColConvolutionMatchesReference(int shape, bool relu) =>
        Check(OpCases.Convolution(_allConvolutionShapes[shape], relu), Own(new CpuBackend(Cpu.Tier) { DirectConvolutions = false }));

    private static TheoryData<int, bool> Cases(int shapes)
    {
        var cases = new TheoryData<int, bool>();
        for (var i = 0; i < shapes; i++)
        {
            cases.Add(i, false);
            cases.Add(i, true);
        }
        return cases;
    }
}

[RequiresCpuTier(CpuTier.Vector512)]
public sealed class CpuVector512OpTests(CpuVector512Fixture fixture) : CpuTierOpTests(fixture.Backend), IClassFixture<CpuVector512Fixture>;

[RequiresCpuTier(CpuTier.Vector256)]
public sealed class CpuVector256OpTests(CpuVector256Fixture fixture) : CpuTierOpTests(fixture.Backend), IClassFixture<CpuVector256Fixture>;

[RequiresCpuTier(CpuTier.Vector128)]
public sealed class CpuVector128OpTests(CpuVector128Fixture fixture) : CpuTierOpTests(fixture.Backend), IClassFixture<CpuVector128Fixture>;

[RequiresCpuTier(CpuTier.Scalar)]
public sealed class CpuScalarOpTests(CpuScalarFixture fixture) : CpuTierOpTests(fixture.Backend), IClassFixture<CpuScalarFixture>;

/// <summary>The op suite on ILGPU's CPU accelerator (the same kernels as CUDA and OpenCL, 4x4 tiles, 16-thread groups).</summary>
public sealed class IlgpuCpuOpTests(IlgpuCpuFixture fixture) : BackendOpTests(fixture.Backend), IClassFixture<IlgpuCpuFixture>
{
    protected override bool ShortShapes => true;
}

/// <summary>The op suite on the simulator with every long GEMM split over K (the path GPUs take for small outputs with a long K).</summary>
public sealed class IlgpuCpuSplitKOpTests(IlgpuCpuSplitKFixture fixture) : BackendOpTests(fixture.Backend), IClassFixture<IlgpuCpuSplitKFixture>
{
    protected override bool ShortShapes => true;
}

/// <summary>The op suite on the first CUDA device; skipped, with the reason, when there is none.</summary>
[RequiresDevice("cuda")]
public sealed class CudaOpTests(CudaFixture fixture) : BackendOpTests(fixture.Backend), IClassFixture<CudaFixture>
{
    protected override float Relaxation => 4f;
}

/// <summary>The op suite on the first OpenCL device ILGPU accepts; skipped, with the reason, when there is none.</summary>
[RequiresDevice("opencl")]
public sealed class OpenClOpTests(OpenClFixture fixture) : BackendOpTests(fixture.Backend), IClassFixture<OpenClFixture>
{
    protected override float Relaxation => 4f;
}
