using DeepGpu.Diagnostics;
using Xunit;

namespace DeepGpu.Tests.TestSupport;

/// <summary>The tests' comparison of a result with its reference (the one <see cref="SelfCheck"/> uses), failing with the worst element.</summary>
public static class Expect
{
    /// <summary>Fails unless every |actual − expected| ≤ absolute + relative·|expected| (NaN never matches a number).</summary>
    public static void Close(float[] expected, float[] actual, double relative = 1e-5, double absolute = 1e-6, string what = "")
    {
        var worst = TestArrays.Worst(expected, actual, relative, absolute);
        if (!worst.Within)
        {
            Assert.Fail($"{what}[{worst.Index}] of {expected.Length}: expected {worst.Expected:R}, got {worst.Actual:R} " +
                $"(off by {worst.Error:G3}, {worst.Ratio:G3} times the tolerance {absolute:G3} + {relative:G3}·|expected|).");
        }
    }
}
