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

    public static IEnumerable<object[]> CpuConvolutionCases()
    {
        // The direct path (stride 1, pad below the kernel): a last group of one image, filters off the multiples of
        // 8 and 16, pad = K - 1 (dy unpadded), and MNIST's first layer, also at batch 1 (one group of one image).
        yield return [13, 3, 8, 8, 9, 3, 3, 1, 1];
        yield return [4, 7, 8, 8, 33, 3, 3, 1, 1];
        yield return [2, 16, 14, 14, 32, 3, 3, 1, 2];
        yield return [5, 1, 28, 28, 30, 5, 5, 1, 0];
        yield return [1, 1, 28, 28, 30, 5, 5, 1, 0];
    }

    [OpTheory]
    [MemberData(nameof(CpuConvolutionCases))]
    public void ConvolutionForwardAndBackwardOnCpuPaths(int n, int c, int h, int w, int f, int kh, int kw, int stride, int pad) =>
        ConvolutionForwardAndBackward(n, c, h, w, f, kh, kw, stride, pad);

    [OpTheory]
    [MemberData(nameof(CpuConvolutionCases))]
    public void ConvolutionReluForwardAndBackwardOnCpuPaths(int n, int c, int h, int w, int f, int kh, int kw, int stride, int pad) =>
        ConvolutionReluForwardAndBackward(n, c, h, w, f, kh, kw, stride, pad);

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

    public static IEnumerable<object[]> AllConvolutionCases() => ConvolutionCases().Concat(CpuConvolutionCases());

    /// <summary>The im2col + GEMM path on the shapes the direct path takes by default (the scalar tier always takes im2col).</summary>
    [OpTheory]
    [MemberData(nameof(AllConvolutionCases))]
    public void Im2ColConvolutionMatchesReference(int n, int c, int h, int w, int f, int kh, int kw, int stride, int pad)
    {
        var im2col = Own(new CpuBackend(Cpu.Tier) { DirectConvolutions = false });
        var g = new ConvolutionGeometry(n, c, h, w, f, kh, kw, stride, pad);
        var x = TestArrays.Uniform(g.InputLength, 60);
        var wt = TestArrays.Uniform(g.WeightLength, 61);
        var b = TestArrays.Uniform(f, 62);
        var dy = TestArrays.Uniform(g.OutputLength, 63);
        var xb = Up(im2col, x);
        var wb = Up(im2col, wt);
        // Stale values in the outputs and the workspace must not leak into the results.
        var workspace = Up(im2col, NaNs((int)Math.Max(1, im2col.ConvolutionWorkspaceLength(g))));
        var y = Up(im2col, NaNs(g.OutputLength));
        var dx = Up(im2col, NaNs(g.InputLength));
        var dw = Up(im2col, NaNs(g.WeightLength));
        var db = Up(im2col, NaNs(f));
        im2col.ConvolutionForward(g, new ConvolutionForwardBuffers { X = xb, W = wb, B = Up(im2col, b), Y = y, Workspace = workspace });
        im2col.ConvolutionBackward(g, new ConvolutionBackwardBuffers { X = xb, W = wb, DY = Up(im2col, dy), DX = dx, DW = dw, DB = db, Workspace = workspace });
        var (dxRef, dwRef, dbRef) = Reference.ConvolutionBackward(g, x, wt, dy);
        Close(Reference.ConvolutionForward(g, x, wt, b), Down<float>(im2col, y), 1e-5, 1e-5, "y");
        Close(dxRef, Down<float>(im2col, dx), 1e-5, 1e-5, "dx");
        Close(dwRef, Down<float>(im2col, dw), 1e-4, 1e-4, "dw");
        Close(dbRef, Down<float>(im2col, db), 1e-4, 1e-5, "db");
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
