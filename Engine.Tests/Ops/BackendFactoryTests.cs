using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Backends.Ilgpu;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>Backend creation by name, device probing and the auto choice.</summary>
public sealed class BackendFactoryTests
{
    [Fact]
    public void ProbeListsEveryKindWithoutThrowing()
    {
        var devices = BackendFactory.Probe();
        foreach (var kind in new[] { "cuda", "opencl", "ilgpu-cpu", "cpu" }) Assert.Contains(devices, d => d.Backend == kind);
        Assert.All(devices, d =>
        {
            Assert.False(string.IsNullOrWhiteSpace(d.Name));
            Assert.False(string.IsNullOrWhiteSpace(d.Reason));
        });
        Assert.Contains(devices, d => d.Backend == "cpu" && d.Accepted);
    }

    [Fact]
    public void UnknownNameListsTheValidNames()
    {
        var e = Assert.Throws<DeepGpuException>(() => BackendFactory.Create("tpu"));
        foreach (var name in BackendFactory.Names) Assert.Contains(name, e.Message);
    }

    [Fact]
    public void MissingDevicesGiveOneClearSentence()
    {
        var devices = BackendFactory.Probe();
        if (!devices.Any(d => d.Backend == "cuda" && d.Accepted))
        {
            var e = Assert.Throws<DeepGpuException>(() => BackendFactory.Create("cuda"));
            Assert.StartsWith("No CUDA device found", e.Message);
        }
        if (!devices.Any(d => d.Backend == "opencl" && d.Accepted))
        {
            var e = Assert.Throws<DeepGpuException>(() => BackendFactory.Create("opencl"));
            Assert.StartsWith("No OpenCL device found", e.Message);
        }
    }

    [Fact]
    public void AutoPicksCudaThenOpenClGpuThenCpuAndSaysWhy()
    {
        var (name, why) = BackendFactory.ChooseAuto();
        Assert.False(string.IsNullOrWhiteSpace(why));
        var devices = BackendFactory.Probe();
        var expected = devices.Any(d => d.Backend == "cuda" && d.Accepted) ? "cuda"
            : devices.Any(d => d.Backend == "opencl" && d.Accepted && d.IsGpu) ? "opencl" : "cpu";
        Assert.Equal(expected, name);
        if (expected != "cpu") return;
        using var backend = BackendFactory.Create("auto", out var line);
        Assert.IsType<CpuBackend>(backend);
        Assert.StartsWith("auto picked cpu", line);
        Assert.Equal(line, BackendFactory.LastAutoChoice);
    }

    [Fact]
    public void CreatesNamedBackends()
    {
        using var cpu = BackendFactory.Create("cpu");
        Assert.Equal("cpu", cpu.Name);
        using var ilgpu = BackendFactory.Create("ilgpu-cpu");
        Assert.IsType<IlgpuBackend>(ilgpu);
        Assert.Equal("ilgpu-cpu", ilgpu.Name);
        Assert.False(string.IsNullOrWhiteSpace(ilgpu.DeviceName));
    }

    [Fact]
    public void IlgpuBackendRejectsAnotherBackendsBuffer()
    {
        using var cpu = BackendFactory.Create("cpu");
        using var ilgpu = BackendFactory.Create("ilgpu-cpu");
        using var foreign = cpu.Allocate<float>(4);
        using var own = ilgpu.Allocate<float>(4);
        Assert.Throws<ArgumentException>(() => ilgpu.Copy(foreign, own));
    }
}

/// <summary>
/// The register-tiled GEMM (4x4 outputs per thread; 64x64 tiles on CUDA) proven on ILGPU's CPU accelerator with a
/// 16x16 block tile, on shapes that are not multiples of it.
/// </summary>
public sealed class IlgpuRegisterGemmTests : IDisposable
{
    private readonly IlgpuBackend backend = new("ilgpu-cpu", IlgpuGemm.Register);

    public void Dispose() => backend.Dispose();

    [Theory]
    [InlineData(1, 1, 1, false, false, 1f, 0f)]
    [InlineData(7, 5, 3, false, false, 1f, 0f)]
    [InlineData(33, 17, 65, false, false, 1f, 0f)]
    [InlineData(33, 17, 65, true, false, 1f, 0f)]
    [InlineData(33, 17, 65, false, true, 1f, 0f)]
    [InlineData(33, 17, 65, true, true, 1f, 0f)]
    [InlineData(20, 35, 9, true, true, -0.5f, 1.5f)]
    [InlineData(16, 16, 4, false, false, 2f, 0f)]
    public void MatchesReference(int m, int n, int k, bool transposeA, bool transposeB, float alpha, float beta)
    {
        var r = new Random(m * 1000 + n * 10 + k);
        float[] Rand(int len) => Enumerable.Range(0, len).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        var a = Rand(m * k);
        var b = Rand(k * n);
        var c0 = Rand(m * n);
        if (beta == 0f) c0[0] = float.NaN;
        using var ab = backend.Allocate<float>(a.Length);
        using var bb = backend.Allocate<float>(b.Length);
        using var cb = backend.Allocate<float>(c0.Length);
        backend.Upload<float>(a, ab);
        backend.Upload<float>(b, bb);
        backend.Upload<float>(c0, cb);
        backend.Gemm(transposeA, transposeB, m, n, k, alpha, ab, bb, beta, cb);
        var c = new float[c0.Length];
        backend.Download(cb.View, c);
        var expected = Reference.Gemm(transposeA, transposeB, m, n, k, alpha, a, b, beta, c0);
        for (var i = 0; i < c.Length; i++) Assert.True(Math.Abs(expected[i] - c[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"C[{i}]: {expected[i]} vs {c[i]}");
    }
}
