using BenchmarkDotNet.Attributes;
using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;

namespace DeepGpu.Benchmarks;

/// <summary>Square SGEMM on the CPU backend per tier and transpose case.</summary>
public class GemmBenchmarks : IFlops, IDisposable
{
    private CpuBackend? backend;
    private DeviceBuffer<float>? a, b, c;

    [ParamsSource(nameof(Tiers))]
    public CpuTier Tier { get; set; }

    [ParamsSource(nameof(Sizes))]
    public int N { get; set; }

    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "NN";

    public static IEnumerable<CpuTier> Tiers() => Configs.IsSmoke
        ? [CpuTiers.Best]
        : Enum.GetValues<CpuTier>().Where(CpuTiers.IsSupported);

    public static IEnumerable<int> Sizes() => Configs.IsSmoke ? [128] : [64, 128, 256, 512, 1024, 2048];

    public static IEnumerable<string> Cases() => Configs.IsSmoke ? ["NN", "TT"] : ["NN", "TN", "NT", "TT"];

    [GlobalSetup]
    public void Setup()
    {
        backend = new CpuBackend(Tier);
        a = backend.Allocate<float>(N * N);
        b = backend.Allocate<float>(N * N);
        c = backend.Allocate<float>(N * N);
        backend.Fill(a, 0.5f);
        backend.Fill(b, 0.25f);
    }

    [Benchmark]
    public void Gemm()
    {
        backend!.Gemm(Case[0] == 'T', Case[1] == 'T', N, N, N, 1f, a!, b!, 0f, c!);
        backend.Synchronize();
    }

    public double Flops(string method) => 2.0 * N * N * N;

    [GlobalCleanup]
    public void Dispose()
    {
        a?.Dispose();
        b?.Dispose();
        c?.Dispose();
        backend?.Dispose();
        GC.SuppressFinalize(this);
    }
}
