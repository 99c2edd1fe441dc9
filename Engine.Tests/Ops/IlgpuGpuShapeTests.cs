using DeepGpu.Backends;
using DeepGpu.Backends.Ilgpu;
using DeepGpu.Diagnostics;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>Shares one GPU-shaped ILGPU CPU backend (16x16 tiles, 256-thread groups) across its tests.</summary>
public sealed class GpuShapedCpuFixture : IDisposable
{
    public IlgpuBackend Tiled { get; } = new("ilgpu-cpu", IlgpuGemm.Tiled, gpuShapedCpu: true, assertions: true);
    public IlgpuBackend Register { get; } = new("ilgpu-cpu", IlgpuGemm.Register, gpuShapedCpu: true, assertions: true);
    /// <summary>The register tile split over K in slices of 16 (one K step each) wherever K is longer.</summary>
    public IlgpuBackend SplitRegister { get; } = new("ilgpu-cpu", IlgpuGemm.Register, gpuShapedCpu: true, assertions: true, forcedSliceK: 16);
    public IlgpuBackend Wide { get; } = new("ilgpu-cpu", IlgpuGemm.Wide, gpuShapedCpu: true, assertions: true);

    /// <summary>The backend that runs <paramref name="kernel"/>: tiled, register or split (split-K register).</summary>
    public IlgpuBackend For(string kernel) => kernel switch
    {
        "tiled" => Tiled,
        "register" => Register,
        "split" => SplitRegister,
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "tiled, register or split"),
    };

    public void Dispose()
    {
        Tiled.Dispose();
        Register.Dispose();
        SplitRegister.Dispose();
        Wide.Dispose();
    }
}

/// <summary>
/// The GPU configurations of the kernels (16x16 shared tiles, the 64x64 register tile, 256-thread reductions),
/// run on ILGPU's CPU accelerator simulating a 1024-thread-per-group device: the exact kernels CUDA runs,
/// checked without a GPU. Shapes stay small because every barrier of a 256-thread group is slow there.
/// </summary>
public sealed class IlgpuGpuShapeTests(GpuShapedCpuFixture fixture) : IClassFixture<GpuShapedCpuFixture>, IDisposable
{
    /// <summary>An out-of-bounds index in a kernel fails the test that ran it.</summary>
    public void Dispose() => KernelAssertions.ThrowIfAny();

    private static float[] Run(Backend backend, float[] input, Action<BufferView<float>> op)
    {
        using var buffer = backend.Allocate<float>(input.Length);
        backend.Upload<float>(input, buffer);
        op(buffer);
        var result = new float[input.Length];
        backend.Download(buffer.View, result);
        return result;
    }

    [Theory]
    [InlineData("tiled", 33, 17, 40, false, false)]
    [InlineData("tiled", 17, 35, 21, true, true)]
    [InlineData("register", 70, 66, 19, false, false)]
    [InlineData("register", 65, 67, 17, true, false)]
    [InlineData("register", 9, 70, 33, false, true)]
    [InlineData("split", 70, 66, 40, false, false)]
    [InlineData("split", 9, 5, 33, true, true)]
    [InlineData("split", 65, 3, 17, true, false)]
    public void GemmWithGpuTiles(string kernel, int m, int n, int k, bool transposeA, bool transposeB)
    {
        var backend = fixture.For(kernel);
        var a = TestArrays.Uniform(m * k, 1);
        var b = TestArrays.Uniform(k * n, 2);
        var c0 = TestArrays.Uniform(m * n, 3);
        using var ab = backend.Allocate<float>(a.Length);
        using var bb = backend.Allocate<float>(b.Length);
        backend.Upload<float>(a, ab);
        backend.Upload<float>(b, bb);
        var c = Run(backend, c0, cv => backend.Gemm(transposeA, transposeB, m, n, k, 1.5f, ab, bb, -0.5f, cv));
        Expect.Close(Reference.Gemm(transposeA, transposeB, m, n, k, 1.5f, a, b, -0.5f, c0), c, 1e-5, 1e-5);
    }

    /// <summary>
    /// The wide 128x128 kernel on the shapes it takes (one K step, several, several blocks each way, beta), and the
    /// register kernel it leaves the rest to: a view off the 16-byte boundary, a transposed operand, M off 128.
    /// </summary>
    [Theory]
    [InlineData(128, 128, 8, false, 0, true)]
    [InlineData(256, 128, 40, false, 0, true)]
    [InlineData(128, 256, 16, false, 0, true)]
    [InlineData(128, 128, 24, false, 1, false)]
    [InlineData(128, 128, 24, true, 0, false)]
    [InlineData(136, 128, 8, false, 0, false)]
    public void GemmWithTheWideTile(int m, int n, int k, bool transposeB, int offset, bool wide)
    {
        var backend = fixture.Wide;
        var a = TestArrays.Uniform(m * k, 21);
        var b = TestArrays.Uniform(k * n, 22);
        var c0 = TestArrays.Uniform(m * n, 23);
        using var ab = backend.Allocate<float>(offset + a.Length);
        using var bb = backend.Allocate<float>(b.Length);
        backend.Upload<float>(a, ab.View.Slice(offset, a.Length));
        backend.Upload<float>(b, bb);
        var before = backend.WideLaunches;
        var c = Run(backend, c0, cv => backend.Gemm(false, transposeB, m, n, k, 1.5f, ab.View.Slice(offset, a.Length), bb, -0.5f, cv));
        Assert.Equal(wide ? 1 : 0, backend.WideLaunches - before);
        Expect.Close(Reference.Gemm(false, transposeB, m, n, k, 1.5f, a, b, -0.5f, c0), c, 1e-5, 1e-5);
    }

    /// <summary>An affine layer's forward pass on the wide tile: bias and activation in its epilogue.</summary>
    [Fact]
    public void AffineForwardWithTheWideTile()
    {
        var backend = fixture.Wide;
        var g = new AffineGeometry(128, 16, 256);
        var x = TestArrays.Uniform(g.Rows * g.Inputs, 24, -1f, 1f);
        var w = TestArrays.Uniform(g.Inputs * g.Outputs, 25, -0.3f, 0.3f);
        var bias = TestArrays.Uniform(g.Outputs, 26);
        using var xb = Upload(backend, x);
        using var wb = Upload(backend, w);
        using var bb = Upload(backend, bias);
        var before = backend.WideLaunches;
        var y = Run(backend, new float[g.Rows * g.Outputs], v => backend.AffineForward(g, Activation.Tanh, new AffineForwardBuffers { X = xb, W = wb, B = bb, Y = v }));
        Assert.Equal(1, backend.WideLaunches - before);
        var reference = Reference.ActivationForward(Activation.Tanh,
            Reference.AddBias(Reference.Gemm(false, false, g.Rows, g.Outputs, g.Inputs, 1f, x, w, 0f, new float[y.Length]), bias, g.Rows, g.Outputs));
        Expect.Close(reference, y, 1e-5, 1e-5);
    }

    /// <summary>The fused GEMMs: bias and activation in the epilogue, the activation's derivative in the loads, db from the tiles.</summary>
    [Theory]
    [InlineData("tiled")]
    [InlineData("register")]
    [InlineData("split")]
    public void AffineWithGpuTiles(string kernel)
    {
        var backend = fixture.For(kernel);
        var g = new AffineGeometry(19, 70, 66);
        var x = TestArrays.Uniform(g.Rows * g.Inputs, 8, -1f, 1f);
        var w = TestArrays.Uniform(g.Inputs * g.Outputs, 9, -0.3f, 0.3f);
        var b = TestArrays.Uniform(g.Outputs, 10);
        var dy = TestArrays.Uniform(g.Rows * g.Outputs, 11);
        using var xb = Upload(backend, x);
        using var wb = Upload(backend, w);
        using var bb = Upload(backend, b);
        using var dyb = Upload(backend, dy);
        var y = Run(backend, new float[g.Rows * g.Outputs], v => backend.AffineForward(g, Activation.Relu, new AffineForwardBuffers { X = xb, W = wb, B = bb, Y = v }));
        var yRef = Reference.ActivationForward(Activation.Relu,
            Reference.AddBias(Reference.Gemm(false, false, g.Rows, g.Outputs, g.Inputs, 1f, x, w, 0f, new float[y.Length]), b, g.Rows, g.Outputs));
        Expect.Close(yRef, y, 1e-5, 1e-5);
        using var yb = Upload(backend, y);
        using var dw = backend.Allocate<float>(g.Inputs * g.Outputs);
        using var db = backend.Allocate<float>(g.Outputs);
        var dx = Run(backend, new float[g.Rows * g.Inputs], v => backend.AffineBackward(g, Activation.Relu, new AffineBackwardBuffers
        {
            X = xb, W = wb, Y = yb, DY = dyb, DX = v, DW = dw, DB = db,
        }));
        var dz = Reference.ActivationBackward(Activation.Relu, yRef, dy);
        Expect.Close(Reference.Gemm(false, true, g.Rows, g.Inputs, g.Outputs, 1f, dz, w, 0f, new float[dx.Length]), dx, 1e-5, 1e-5);
        Expect.Close(Reference.Gemm(true, false, g.Inputs, g.Outputs, g.Rows, 1f, x, dz, 0f, new float[dw.Length]), dw.ToHostArray(), 1e-5, 1e-5);
        Expect.Close(Reference.BiasGradient(dz, g.Rows, g.Outputs), db.ToHostArray(), 1e-5, 1e-5);
    }

    /// <summary>The implicit-GEMM convolution: im2col read from x, NCHW written with bias and ReLU, db summed from the tiles.</summary>
    [Theory]
    [InlineData("tiled")]
    [InlineData("register")]
    [InlineData("split")]
    public void ConvolutionReluWithGpuTiles(string kernel)
    {
        var backend = fixture.For(kernel);
        var g = new ConvolutionGeometry(2, 3, 9, 8, 5, 3, 3, 1, 1);
        var x = TestArrays.Uniform(g.InputLength, 12);
        var w = TestArrays.Uniform(g.WeightLength, 13);
        var b = TestArrays.Uniform(g.Filters, 14);
        var dy = TestArrays.Uniform(g.OutputLength, 15);
        using var xb = Upload(backend, x);
        using var wb = Upload(backend, w);
        using var bb = Upload(backend, b);
        using var dyb = Upload(backend, dy);
        using var ws = backend.Allocate<float>((int)backend.ConvolutionWorkspaceLength(g));
        var y = Run(backend, new float[g.OutputLength], v => backend.ConvolutionReluForward(g, new ConvolutionForwardBuffers { X = xb, W = wb, B = bb, Y = v, Workspace = ws }));
        var yRef = Reference.ActivationForward(Activation.Relu, Reference.ConvolutionForward(g, x, w, b));
        Expect.Close(yRef, y, 1e-5, 1e-5);
        using var yb = Upload(backend, y);
        using var dw = backend.Allocate<float>(g.WeightLength);
        using var db = backend.Allocate<float>(g.Filters);
        var dx = Run(backend, new float[g.InputLength], v => backend.ConvolutionReluBackward(g, new ConvolutionBackwardBuffers
        {
            X = xb, W = wb, DY = dyb, DX = v, DW = dw, DB = db, Workspace = ws,
        }, yb));
        var (dxRef, dwRef, dbRef) = Reference.ConvolutionBackward(g, x, w, Reference.ActivationBackward(Activation.Relu, yRef, dy));
        Expect.Close(dxRef, dx, 1e-5, 1e-5);
        Expect.Close(dwRef, dw.ToHostArray(), 1e-4, 1e-4);
        Expect.Close(dbRef, db.ToHostArray(), 1e-4, 1e-5);
    }

    private static DeviceBuffer<float> Upload(Backend backend, float[] values)
    {
        var buffer = backend.Allocate<float>(values.Length);
        backend.Upload<float>(values, buffer);
        return buffer;
    }

    [Fact]
    public void ReductionsWithGpuGroups()
    {
        var backend = fixture.Tiled;
        const int rows = 300, cols = 3;
        var dy = TestArrays.Uniform(rows * cols, 4);
        using var dyb = backend.Allocate<float>(dy.Length);
        backend.Upload<float>(dy, dyb);
        var db = Run(backend, new float[cols], v => backend.BiasGradient(dyb, v, rows, cols));
        Expect.Close(Reference.BiasGradient(dy, rows, cols), db, 1e-5, 1e-5);

        var acc = Run(backend, [1f], v => backend.SumOfSquares(dyb, 0.5f, v));
        Expect.Close([(float)(1 + 0.5 * Reference.SumOfSquares(dy))], acc, 1e-5, 1e-5);

        var g = new NormalizationGeometry(20, 3, 15);
        var x = TestArrays.Uniform(g.Length, 5);
        var gamma = TestArrays.Uniform(3, 6);
        var beta = TestArrays.Uniform(3, 7);
        using var xb = backend.Allocate<float>(g.Length);
        using var gb = backend.Allocate<float>(3);
        using var bb = backend.Allocate<float>(3);
        using var rm = backend.Allocate<float>(3);
        using var rv = backend.Allocate<float>(3);
        using var mean = backend.Allocate<float>(3);
        using var inv = backend.Allocate<float>(3);
        using var dgamma = backend.Allocate<float>(3);
        using var dbeta = backend.Allocate<float>(3);
        backend.Upload<float>(x, xb);
        backend.Upload<float>(gamma, gb);
        backend.Upload<float>(beta, bb);
        var training = new BatchNormSettings { Training = true, Momentum = 0.9f, Epsilon = 1e-5f };
        var y = Run(backend, new float[g.Length], v => backend.BatchNormForward(g, training, new BatchNormForwardBuffers
        {
            X = xb, Gamma = gb, Beta = bb, Y = v, RunningMean = rm, RunningVar = rv, SavedMean = mean, SavedInvStd = inv,
        }));
        var r = Reference.BatchNormForward(g, true, 0.9f, 1e-5f, x, gamma, beta, new float[3], new float[3]);
        Expect.Close(r.Y, y, 1e-4, 1e-4);
        var dx = Run(backend, new float[g.Length], v => backend.BatchNormBackward(g, new BatchNormBackwardBuffers
        {
            X = xb, Gamma = gb, DY = xb, SavedMean = mean, SavedInvStd = inv, DX = v, DGamma = dgamma, DBeta = dbeta,
        }));
        var (dxRef, _, _) = Reference.BatchNormBackward(g, x, gamma, x, r.Mean, r.InvStd);
        Expect.Close(dxRef, dx, 1e-4, 1e-4);
    }
}
