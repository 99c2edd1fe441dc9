using DeepGpu.Backends.Cpu;
using DeepGpu.Backends.Ilgpu;
using DeepGpu.Diagnostics;
using DeepGpu.Models;
using DeepGpu.Tests.TestSupport;

namespace DeepGpu.Tests.Diagnostics;

/// <summary>
/// The machinery of <c>check --real-sizes</c>: the full sizes on cpu against cpu (which must agree exactly), the
/// same checks at a small batch on ILGPU's simulator (the kernels CUDA runs, with bounds checks), and the
/// comparison itself failing on a wrong value.
/// </summary>
public sealed class RealSizeCheckTests
{
    [Fact]
    public void The_op_table_holds_the_presets_real_sizes()
    {
        var cases = RealSizeCheck.Presets.SelectMany(p => RealSizeCheck.OpCases(p.Spec, 100)).Select(c => c.Op + " " + c.Case).ToList();
        // deep-convnet's first convolutions: weight-gradient GEMM with K = 100 images x 28 x 28 pixels.
        Assert.Contains("gemm NT 16x144x78400", cases);
        Assert.Contains("convolution forward+backward 100x16x28x28 f16 k3 s1 p1", cases);
        Assert.Contains("max-pooling forward+backward 100x64x8x8 k2 s2 p0", cases);
        // simple-convnet's weights (the weight-decay reduction) are over 100k elements.
        Assert.Contains(cases, c => c.StartsWith("add-scaled + sum-of-squares ", StringComparison.Ordinal) && int.Parse(c.Split(' ')[^1]) > 100_000);
    }

    [Fact]
    public void Cpu_against_cpu_at_real_sizes_agrees_exactly()
    {
        using var a = new CpuBackend();
        using var b = new CpuBackend();
        var results = RealSizeCheck.Run(a, b, batch: 100, curveSteps: 5).ToList();
        Assert.True(results.Count > 40, $"{results.Count} checks");
        var failed = results.Where(r => !r.Passed).ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed.Select(f => $"{f.Op} {f.Case}: {f.Error} > {f.Tolerance} {f.Message}")));
        Assert.All(results, r => Assert.Equal(0, r.Error));
        Assert.Contains(results, r => r.Group == "real-size step" && r.Op == "deep-convnet");
        Assert.Contains(results, r => r.Group == "real-size curve");
    }

    [Fact]
    public void The_simulator_against_cpu_at_a_small_size_agrees_within_the_stated_tolerances()
    {
        using var simulator = new IlgpuBackend("ilgpu-cpu", IlgpuGemm.Auto, gpuShapedCpu: false, assertions: true);
        using var cpu = new CpuBackend();
        // The simulator runs a few thousand barriers a second: the two-layer net's shapes, at batch 2, no curve.
        var results = RealSizeCheck.Run(simulator, cpu, batch: 2, curveSteps: 0, presets: [RealSizeCheck.Presets[0]]).ToList();
        KernelAssertions.ThrowIfAny();
        var failed = results.Where(r => !r.Passed).ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed.Select(f => $"{f.Op} {f.Case}: {f.Error} > {f.Tolerance} {f.Message}")));
        // Different summation orders: some outputs differ, within bounds.
        Assert.Contains(results, r => r.Error > 0);
    }

    [Fact]
    public void A_value_outside_its_tolerance_fails_and_is_named()
    {
        float[] expected = [1f, 2f, 3f];
        float[] actual = [1f, 2.001f, 3f];
        var outcome = RealSizeCheck.Compare([("y", actual, expected, _ => 1e-4)]);
        Assert.False(outcome.Passed);
        Assert.Equal(0.001, outcome.Error, 1e-6);
        Assert.StartsWith("y[1]: ", outcome.Message);
        Assert.True(RealSizeCheck.Compare([("y", actual, expected, _ => 2e-3)]).Passed);
        Assert.False(RealSizeCheck.Compare([("y", [float.NaN], [1f], _ => 1)]).Passed);
    }

    [Fact]
    public void The_loss_curve_falls_on_the_sample()
    {
        using var cpu = new CpuBackend();
        var losses = RealSizeCheck.LossCurve(cpu, 100, 30);
        Assert.True(losses[^1] < 0.7 * losses[0], $"loss {losses[0]} -> {losses[^1]}");
    }
}
