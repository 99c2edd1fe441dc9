using DeepGpu.Backends.Cpu;
using Xunit;

namespace DeepGpu.Tests.Cpu;

/// <summary>A fact for one SIMD tier; skipped, and reported as skipped, where the CPU lacks the tier.</summary>
public sealed class TierFactAttribute : FactAttribute
{
    public TierFactAttribute(CpuTier tier)
    {
        if (!CpuTiers.IsSupported(tier)) Skip = $"This CPU does not accelerate {tier}.";
    }
}

/// <summary>A theory for one SIMD tier; skipped, and reported as skipped, where the CPU lacks the tier.</summary>
public sealed class TierTheoryAttribute : TheoryAttribute
{
    public TierTheoryAttribute(CpuTier tier)
    {
        if (!CpuTiers.IsSupported(tier)) Skip = $"This CPU does not accelerate {tier}.";
    }
}
