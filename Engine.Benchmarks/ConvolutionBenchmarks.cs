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

    private CpuBackend? backend;
    private DeviceBuffer<float>? x, w, b, y, dx, dw, db, ws;

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
        backend = new CpuBackend(Tier) { DirectConvolutions = Direct };
        x = backend.Allocate<float>(G.InputLength);
        w = backend.Allocate<float>(G.WeightLength);
        b = backend.Allocate<float>(G.Filters);
        y = backend.Allocate<float>(G.OutputLength);
        dx = backend.Allocate<float>(G.InputLength);
        dw = backend.Allocate<float>(G.WeightLength);
        db = backend.Allocate<float>(G.Filters);
        ws = backend.Allocate<float>((int)backend.ConvolutionWorkspaceLength(G));
        backend.Fill(x, 0.25f);
        backend.Fill(w, 0.1f);
        backend.Fill(y, 0.01f);
    }

    [Benchmark]
    public void Forward()
    {
        backend!.ConvolutionForward(G, new ConvolutionForwardBuffers { X = x!, W = w!, B = b!, Y = y!, Workspace = ws! });
        backend.Synchronize();
    }

    /// <summary>dw, db and dx (dx skipped for a first layer, as a network does).</summary>
    [Benchmark]
    public void Backward()
    {
        var dxView = G.Channels == 1 ? dx!.Slice(0, 0) : dx!.View;
        backend!.ConvolutionBackward(G, new ConvolutionBackwardBuffers { X = x!, W = w!, DY = y!, DX = dxView, DW = dw!, DB = db!, Workspace = ws! });
        backend.Synchronize();
    }

    public double Flops(string method)
    {
        var gemm = 2.0 * G.OutputLength * G.PatchLength;
        return method == nameof(Forward) ? gemm : G.Channels == 1 ? gemm : 2 * gemm;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        foreach (var buffer in new IDisposable?[] { x, w, b, y, dx, dw, db, ws }) buffer?.Dispose();
        backend?.Dispose();
        GC.SuppressFinalize(this);
    }
}
