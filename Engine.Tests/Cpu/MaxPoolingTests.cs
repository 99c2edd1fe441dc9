using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;

namespace DeepGpu.Tests.Cpu;

/// <summary>The SIMD 2x2 max pooling against the reference: wide rows (8- and 4-wide paths and the tail), ties.</summary>
public sealed class MaxPoolingTests
{
    [Theory]
    [InlineData(24, 24)]  // 8 + 4 outputs a row
    [InlineData(40, 37)]  // odd width: the last column is never read
    [InlineData(6, 6)]    // scalar only
    public void Two_by_two_max_pooling_matches_the_reference_with_ties(int height, int width)
    {
        var g = new PoolingGeometry(2, 3, height, width, 2, 2, 0);
        var rng = new Random(height * 100 + width);
        // Few distinct values, so many windows hold ties: the first maximum (row-major) must win everywhere.
        var x = Enumerable.Range(0, g.InputLength).Select(_ => (float)rng.Next(4)).ToArray();
        var dy = Enumerable.Range(0, g.OutputLength).Select(_ => (float)rng.NextDouble()).ToArray();
        using var backend = new CpuBackend();
        using var dx = backend.Allocate<float>(g.InputLength);
        using var xb = backend.Allocate<float>(g.InputLength);
        using var y = backend.Allocate<float>(g.OutputLength);
        using var argmax = backend.Allocate<int>(g.OutputLength);
        using var dyb = backend.Allocate<float>(g.OutputLength);
        backend.Upload<float>(x, xb);
        backend.Upload<float>(dy, dyb);
        backend.PoolingForward(PoolingMode.Max, g, xb, y, argmax);
        backend.PoolingBackward(PoolingMode.Max, g, dyb, argmax, dx);
        var (ry, rarg) = Reference.PoolingForward(PoolingMode.Max, g, x);
        var actualY = new float[g.OutputLength];
        var actualArg = new int[g.OutputLength];
        var actualDx = new float[g.InputLength];
        backend.Download<float>(y, actualY);
        backend.Download<int>(argmax, actualArg);
        backend.Download<float>(dx, actualDx);
        Assert.Equal(ry, actualY);
        Assert.Equal(rarg, actualArg);
        Assert.Equal(Reference.PoolingBackward(PoolingMode.Max, g, dy, rarg), actualDx);
    }
}
