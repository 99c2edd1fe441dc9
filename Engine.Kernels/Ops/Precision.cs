// Precision kernel (one thread per element, implicitly grouped): x[i] = (float)(Half)x[i], i.e. rounds to the
// nearest IEEE binary16 value (ties to even) and back, by bit manipulation (System.Half does not compile
// in kernels). Normal halves: drop 13 mantissa bits with round-half-even on the float's bits (a carry
// correctly bumps the exponent); |x| ≥ 65520 becomes ±∞; below 2^-14 (half subnormals) round to a
// multiple of 2^-24 (exact scaling by 2^24, then round-half-even on the integer part). NaN and ±∞ pass through.
using ILGPU;

namespace DeepGpu.Kernels;

public static class PrecisionKernels
{
    public static float RoundHalf(float value)
    {
        var bits = BitConverter.SingleToInt32Bits(value);
        var sign = bits & unchecked((int)0x80000000);
        var abs = bits & 0x7FFFFFFF;
        if (abs >= 0x7F800000) return value;                                  // NaN, ±∞
        if (abs >= 0x477FF000) return BitConverter.Int32BitsToSingle(sign | 0x7F800000); // ≥ 65520
        if (abs < 0x38800000)                                                  // < 2^-14
        {
            // Scaling by 2^24 is exact and lands in [0, 1024); round half to even by hand (no reliance on the
            // target's MathF.Round), then scale back (exact again).
            var scaled = BitConverter.Int32BitsToSingle(abs) * 16777216f;
            var whole = (int)scaled;
            var fraction = scaled - whole;
            if (fraction > 0.5f || (fraction == 0.5f && (whole & 1) == 1)) whole++;
            var rounded = whole * (1f / 16777216f);
            return BitConverter.Int32BitsToSingle(sign | BitConverter.SingleToInt32Bits(rounded));
        }
        var lsb = (abs >> 13) & 1;
        var r = (abs + 0xFFF + lsb) & ~0x1FFF;
        return BitConverter.Int32BitsToSingle(sign | r);
    }

    public static void RoundToHalf(Index1D i, ArrayView<float> x) => x[i] = RoundHalf(x[i]);
}
