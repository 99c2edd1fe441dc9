using DeepGpu.Backends.Ilgpu;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>When a GPU GEMM is split over K, and into how many slices (the kernels themselves run in the split op suite).</summary>
public sealed class SplitKPolicyTests
{
    private const int Multiprocessors = 132, KStep = 16;

    /// <summary>Weight gradients of convolutions: a handful of output blocks, K = batch x output pixels.</summary>
    [Theory]
    [InlineData(78_400, 1)]    // deep-convnet conv1 dW at batch 100: 16 x 9, one 16x16 block
    [InlineData(57_600, 6)]    // simple-convnet conv1 dW: 30 x 25
    [InlineData(4_320, 4)]     // simple-convnet fc1 forward: 100 x 100 on 64x64 register blocks
    [InlineData(4_900, 66)]    // half the multiprocessors busy
    public void SmallOutputsWithLongKAreSplitToFillTheGpu(int k, int blocks)
    {
        var slice = IlgpuBackend.SliceLength(k, blocks, Multiprocessors, KStep);
        Assert.True(slice > 0, $"not split: K {k}, {blocks} blocks");
        Assert.Equal(0, slice % KStep);
        var slices = (k + slice - 1) / slice;
        Assert.InRange(slices, 2, 64);
        Assert.True(slice >= 8 * KStep, $"slice of {slice} is under eight K steps");
        // Enough blocks for every multiprocessor, unless the slices are near their shortest or at the cap.
        Assert.True(slices * blocks >= Multiprocessors || slices == 64 || slice < 2 * 8 * KStep,
            $"{slices} slices of {blocks} blocks leave multiprocessors idle");
    }

    [Theory]
    [InlineData(1_024, 256)]   // n = 1024 on 64x64 blocks: already more blocks than multiprocessors
    [InlineData(100_000, 67)]  // just over half the multiprocessors busy
    [InlineData(100, 1)]       // K too short to be worth a second launch
    [InlineData(255, 4)]
    public void OtherShapesRunWhole(int k, int blocks) =>
        Assert.Equal(0, IlgpuBackend.SliceLength(k, blocks, Multiprocessors, KStep));
}
