using BenchmarkDotNet.Attributes;
using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;

namespace DeepGpu.Benchmarks;

/// <summary>Convolution forward and backward for the book's layer shapes at batch 100, per tier and algorithm.</summary>
public class ConvolutionBenchmarks : IFlops, IDisposable
{
    internal static readonly Dictionary<string, ConvolutionGeometry> Layers = new()
    {
        ["simple-conv1"] = new(100, 1, 28, 28, 30, 5, 5, 1, 0),
        ["deep-conv1"] = new(100, 1, 28, 28, 16, 3, 3, 1, 1),
        ["deep-conv2"] = new(100, 16, 28, 28, 16, 3, 3, 1, 1),
        ["deep-conv3"] = new(100, 16, 14, 14, 32, 3, 3, 1, 1),
        ["deep-conv4"] = new(100, 32, 14, 14, 32, 3, 3, 1, 2),
        ["deep-conv5"] = new(100, 32, 8, 8, 64, 3, 3, 1, 1),
        ["deep-conv6"] = new(100, 64, 8, 8, 64, 3, 3, 1, 1),
    };

    private CpuBackend? _backend;
    private DeviceBuffer<float>? _x, _w, _b, _y, _dx, _dw, _db, _ws;

    [ParamsSource(nameof(Tiers))]
    public CpuTier Tier { get; set; }

    [ParamsSource(nameof(Names))]
    public string Layer { get; set; } = "simple-conv1";

    /// <summary>Stride-1 convolutions without im2col (every vector tier; the scalar tier always uses im2col).</summary>
    [ParamsSource(nameof(Algorithms))]
    public bool Direct { get; set; } = true;

    public static IEnumerable<bool> Algorithms() => Configs.IsSmoke ? [true] : [true, false];

    public static IEnumerable<CpuTier> Tiers() => Configs.IsSmoke
        ? [CpuTiers.Best]
        : Enum.GetValues<CpuTier>().Where(CpuTiers.IsSupported);

    public static IEnumerable<string> Names() => Configs.IsSmoke ? ["simple-conv1"] : Layers.Keys;

    private ConvolutionGeometry G => Layers[Layer];

    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend(Tier) { DirectConvolutions = Direct };
        _x = _backend.Allocate<float>(G.InputLength);
        _w = _backend.Allocate<float>(G.WeightLength);
        _b = _backend.Allocate<float>(G.Filters);
        _y = _backend.Allocate<float>(G.OutputLength);
        _dx = _backend.Allocate<float>(G.InputLength);
        _dw = _backend.Allocate<float>(G.WeightLength);
        _db = _backend.Allocate<float>(G.Filters);
        _ws = _backend.Allocate<float>((int)_backend.ConvolutionWorkspaceLength(G));
        _backend.Fill(_x, 0.25f);
        _backend.Fill(_w, 0.1f);
        _backend.Fill(_y, 0.01f);
    }

    [Benchmark]
    public void Forward()
    {
        _backend!.ConvolutionForward(G, new ConvolutionForwardBuffers { X = _x!, W = _w!, B = _b!, Y = _y!, Workspace = _ws! });
        _backend.Synchronize();
    }

    /// <summary>dw, db and dx (dx skipped for a first layer, as a network does).</summary>
    [Benchmark]
    public void Backward()
    {
        var dxView = G.Channels == 1 ? _dx!.Slice(0, 0) : _dx!.View;
        _backend!.ConvolutionBackward(G, new ConvolutionBackwardBuffers { X = _x!, W = _w!, DY = _y!, DX = dxView, DW = _dw!, DB = _db!, Workspace = _ws! });
        _backend.Synchronize();
    }

    public double Flops(string method)
    {
        var gemm = 2.0 * G.OutputLength * G.PatchLength;
        return method == nameof(Forward) ? gemm : G.Channels == 1 ? gemm : 2 * gemm;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        foreach (var buffer in new IDisposable?[] { _x, _w, _b, _y, _dx, _dw, _db, _ws }) buffer?.Dispose();
        _backend?.Dispose();
        GC.SuppressFinalize(this);
    }
}
