using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

/// <summary>The SIMD width the <see cref="CpuBackend"/> computes with; the widest the hardware accelerates by default.</summary>
public enum CpuTier
{
    /// <summary>Plain scalar code: the fallback, and a reference the tests run too.</summary>
    Scalar,
    /// <summary>128-bit vectors (SSE, NEON).</summary>
    Vector128,
    /// <summary>256-bit vectors (AVX2).</summary>
    Vector256,
    /// <summary>512-bit vectors (AVX-512).</summary>
    Vector512,
}

/// <summary>Which <see cref="CpuTier"/>s this machine runs.</summary>
public static class CpuTiers
{
    /// <summary>True when the hardware accelerates the tier's vectors.</summary>
    public static bool IsSupported(CpuTier tier) => tier switch
    {
        CpuTier.Scalar => true,
        CpuTier.Vector128 => Vector128.IsHardwareAccelerated,
        CpuTier.Vector256 => Vector256.IsHardwareAccelerated,
        CpuTier.Vector512 => Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>The widest supported tier, chosen once at start-up.</summary>
    public static CpuTier Best { get; } =
        IsSupported(CpuTier.Vector512) ? CpuTier.Vector512 :
        IsSupported(CpuTier.Vector256) ? CpuTier.Vector256 :
        IsSupported(CpuTier.Vector128) ? CpuTier.Vector128 : CpuTier.Scalar;
}
