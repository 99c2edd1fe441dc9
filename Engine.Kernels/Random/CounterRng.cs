// CounterRng: a stateless, counter-based random generator. Value = mix(seed, counter), so any thread can
// draw its own number without shared state, and a run is reproducible from its seed on every backend.
// Mixing is SplitMix64's finaliser applied to seed and counter; good enough for init, shuffles and dropout.
namespace DeepGpu.Kernels;

public static class CounterRng
{
    /// <summary>64 random bits for (seed, counter).</summary>
    public static ulong Next(ulong seed, ulong counter)
    {
        var z = seed * 0x9E3779B97F4A7C15UL + counter * 0xD1B54A32D192ED03UL + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 bits of resolution.</summary>
    /// <remarks>The 24-bit value goes through int: an unsigned 64-bit to float conversion is a double in IL, which
    /// OpenCL devices without fp64 reject. The result is the same (24 bits are exact either way).</remarks>
    public static float Uniform(ulong seed, ulong counter) => (int)(Next(seed, counter) >> 40) * (1.0f / 16777216.0f);

    /// <summary>Standard normal (Box-Muller over counters 2·counter and 2·counter + 1).</summary>
    public static float Normal(ulong seed, ulong counter)
    {
        // 1 − u keeps the log's argument in (0, 1].
        var u1 = 1.0f - Uniform(seed, 2 * counter);
        var u2 = Uniform(seed, 2 * counter + 1);
        return MathF.Sqrt(-2.0f * MathF.Log(u1)) * MathF.Cos(2.0f * MathF.PI * u2);
    }
}
