using BenchmarkDotNet.Attributes;
using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;

namespace DeepGpu.Benchmarks;

/// <summary>Square SGEMM on the CPU backend per tier and transpose case.</summary>
public class GemmBenchmarks : IFlops, IDisposable
{
    private CpuBackend? _backend;
    private DeviceBuffer<float>? _a, _b, _c;

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
        _backend = new CpuBackend(Tier);
        _a = _backend.Allocate<float>(N * N);
        _b = _backend.Allocate<float>(N * N);
        _c = _backend.Allocate<float>(N * N);
        _backend.Fill(_a, 0.5f);
        _backend.Fill(_b, 0.25f);
    }

    [Benchmark]
    public void Gemm()
    {
        _backend!.Gemm(Case[0] == 'T', Case[1] == 'T', N, N, N, 1f, _a!, _b!, 0f, _c!);
        _backend.Synchronize();
    }

    public double Flops(string method) => 2.0 * N * N * N;

    [GlobalCleanup]
    public void Dispose()
    {
        _a?.Dispose();
        _b?.Dispose();
        _c?.Dispose();
        _backend?.Dispose();
        GC.SuppressFinalize(this);
    }
}
