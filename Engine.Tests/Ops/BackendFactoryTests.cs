using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Backends.Ilgpu;
using DeepGpu.Diagnostics;
using DeepGpu.Tests.TestSupport;
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

    [Theory]
    [InlineData("cuda", "CUDA")]
    [InlineData("opencl", "OpenCL")]
    public void MissingDeviceIsOneClearSentenceAndPresentOneOpens(string name, string label)
    {
        if (BackendFactory.Probe().Any(d => d.Backend == name && d.Accepted))
        {
            using var backend = BackendFactory.Create(name);
            Assert.Equal(name, backend.Name);
            Assert.False(string.IsNullOrWhiteSpace(backend.DeviceName));
            return;
        }
        var e = Assert.Throws<DeepGpuException>(() => BackendFactory.Create(name));
        Assert.StartsWith($"No {label} device found", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static readonly DeviceReport _simulator = new("ILGPU CPU accelerator (simulator)", "ilgpu-cpu", true, "always available.");
    private static readonly DeviceReport _cpu = new("2 managed CPU threads", "cpu", true, "always available.");

    private static DeviceReport Cuda(bool accepted) =>
        new("Card A", "cuda", accepted, accepted ? "CUDA device, compute capability 8.9." : "the NVIDIA driver is missing.", IsGpu: accepted);

    private static DeviceReport OpenCl(string name, bool accepted, bool gpu) =>
        new(name, "opencl", accepted, accepted ? "usable." : "OpenCL C 1.2 lacks generic address space.", gpu);

    [Fact]
    public void AutoPicksCudaThenOpenClGpuThenCpuAndSaysWhy()
    {
        var cuda = BackendFactory.ChooseAuto([OpenCl("Card B", true, true), Cuda(true), _simulator, _cpu]);
        Assert.Equal(("cuda", "found the CUDA device Card A"), cuda);

        var openCl = BackendFactory.ChooseAuto([Cuda(false), OpenCl("Card C", true, false), OpenCl("Card B", true, true), _simulator, _cpu]);
        Assert.Equal("opencl", openCl.Backend);
        Assert.Contains("Card B", openCl.Why);

        // An OpenCL CPU device, a rejected OpenCL GPU and the simulator are never picked; the reasons are given.
        var cpu = BackendFactory.ChooseAuto([Cuda(false), OpenCl("Card C", true, false), OpenCl("Card D", false, true), _simulator, _cpu]);
        Assert.Equal("cpu", cpu.Backend);
        Assert.Contains("Card A: the NVIDIA driver is missing", cpu.Why);
        Assert.Contains("Card D: OpenCL C 1.2 lacks generic address space", cpu.Why);
        Assert.DoesNotContain("Card C", cpu.Why);

        // On this machine: what Create("auto") builds is what the rule picks from the probe, and the line says so.
        var (name, _) = BackendFactory.ChooseAuto();
        using var backend = BackendFactory.Create("auto", out var line);
        Assert.Equal(name, backend.Name);
        Assert.StartsWith($"auto picked {name}", line);
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
    private readonly IlgpuBackend _backend = new("ilgpu-cpu", IlgpuGemm.Register);

    public void Dispose() => _backend.Dispose();

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
        var a = TestArrays.Uniform(r, m * k);
        var b = TestArrays.Uniform(r, k * n);
        var c0 = TestArrays.Uniform(r, m * n);
        if (beta == 0f) c0[0] = float.NaN;
        using var ab = _backend.Allocate<float>(a.Length);
        using var bb = _backend.Allocate<float>(b.Length);
        using var cb = _backend.Allocate<float>(c0.Length);
        _backend.Upload<float>(a, ab);
        _backend.Upload<float>(b, bb);
        _backend.Upload<float>(c0, cb);
        _backend.Gemm(transposeA, transposeB, m, n, k, alpha, ab, bb, beta, cb);
        var c = new float[c0.Length];
        _backend.Download(cb.View, c);
        var expected = Reference.Gemm(transposeA, transposeB, m, n, k, alpha, a, b, beta, c0);
        Expect.Close(expected, c, 1e-5, 1e-5, "C");
    }
}
