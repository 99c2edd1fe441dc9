using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using Xunit;

namespace DeepGpu.Tests.Cpu;

/// <summary>A training step must not allocate: after a warm-up call, the ops allocate nothing on the caller's thread.</summary>
public class AllocationTests
{
    [Fact]
    public void StepOpsDoNotAllocate()
    {
        using var backend = new CpuBackend();
        var conv = new ConvolutionGeometry(8, 3, 12, 12, 5, 3, 3, 1, 1);
        var pool = new PoolingGeometry(8, 5, 12, 12, 2, 2, 0);
        var norm = new NormalizationGeometry(8, 5, 144);
        using var x = backend.Allocate<float>(conv.InputLength);
        using var w = backend.Allocate<float>(conv.WeightLength);
        using var b = backend.Allocate<float>(conv.Filters);
        using var y = backend.Allocate<float>(conv.OutputLength);
        using var dx = backend.Allocate<float>(conv.InputLength);
        using var dw = backend.Allocate<float>(conv.WeightLength);
        using var db = backend.Allocate<float>(conv.Filters);
        using var ws = backend.Allocate<float>((int)backend.ConvolutionWorkspaceLength(conv));
        using var p = backend.Allocate<float>(pool.OutputLength);
        using var am = backend.Allocate<int>(pool.OutputLength);
        using var dy = backend.Allocate<float>(conv.OutputLength);
        using var stats = backend.Allocate<float>(6 * 5);
        using var big = backend.Allocate<float>(400_000);
        backend.Fill(x, 0.5f);
        backend.Fill(w, 0.1f);
        backend.Fill(big, 0.1f);
        var s = stats.View;
        void Step()
        {
            backend.Gemm(false, true, 300, 300, 300, 1f, big.Slice(0, 90000), big.Slice(90000, 90000), 0f, big.Slice(180000, 90000));
            backend.Gemm(true, false, 7, 9, 5, 1f, big.Slice(0, 35), big.Slice(35, 45), 1f, big.Slice(100, 63));
            backend.ConvolutionForward(conv, new ConvolutionForwardBuffers { X = x, W = w, B = b, Y = y, Workspace = ws });
            backend.ConvolutionBackward(conv, new ConvolutionBackwardBuffers { X = x, W = w, DY = y, DX = dx, DW = dw, DB = db, Workspace = ws });
            backend.ConvolutionReluForward(conv, new ConvolutionForwardBuffers { X = x, W = w, B = b, Y = y, Workspace = ws });
            backend.ConvolutionReluBackward(conv, new ConvolutionBackwardBuffers
            {
                X = x, W = w, DY = dy, DX = dx, DW = dw, DB = db, Workspace = ws,
            }, y);
            backend.PoolingForward(PoolingMode.Max, pool, y, p, am);
            backend.PoolingBackward(PoolingMode.Max, pool, p, am, y);
            backend.BatchNormForward(norm, new BatchNormSettings { Training = true, Momentum = 0.9f, Epsilon = 1e-6f }, new BatchNormForwardBuffers
            {
                X = y, Gamma = s.Slice(0, 5), Beta = s.Slice(5, 5), Y = y, RunningMean = s.Slice(10, 5), RunningVar = s.Slice(15, 5),
                SavedMean = s.Slice(20, 5), SavedInvStd = s.Slice(25, 5),
            });
            backend.DropoutForward(y, y, big.Slice(300000, y.Length), 0.5f, 1, 2);
            backend.ApplyUpdate(UpdateRule.Adam, new UpdateHyper(1e-3f, 0.9f, 0.999f), new UpdateBuffers
            {
                Parameters = big.Slice(0, 100000), Gradients = big.Slice(100000, 100000), FirstState = big.Slice(200000, 100000),
                SecondState = big.Slice(300000, 100000),
            });
        }
        Step();
        Step();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
