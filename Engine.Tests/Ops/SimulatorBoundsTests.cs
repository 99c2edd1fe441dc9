using DeepGpu.Backends.Ilgpu;
using DeepGpu.Tests.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>The simulator the op tests run on reports an out-of-bounds index, so a kernel indexing past a view fails its test.</summary>
public sealed class SimulatorBoundsTests(IlgpuCpuFixture fixture) : IClassFixture<IlgpuCpuFixture>
{
    private static void ReadsOnePastTheEnd(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = x[i + 1];

    [Fact]
    public void AnOutOfBoundsReadIsReported()
    {
        var accelerator = ((IlgpuBackend)fixture.Backend).Accelerator;
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ReadsOnePastTheEnd);
        using var x = accelerator.Allocate1D<float>(8);
        using var y = accelerator.Allocate1D<float>(8);
        KernelAssertions.Take();
        kernel(8, x.View, y.View);
        accelerator.Synchronize();
        var failures = KernelAssertions.Take();
        Assert.True(failures.Count > 0, "reading x[8] of an 8-element view raised no assertion");
        Assert.Contains(failures, f => f.Contains("out of range", StringComparison.OrdinalIgnoreCase));
    }
}
