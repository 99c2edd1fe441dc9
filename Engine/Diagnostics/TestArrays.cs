namespace DeepGpu.Diagnostics;

/// <summary>
/// The inputs and the comparison shared by <see cref="SelfCheck"/> and the unit tests: seeded uniform arrays, and
/// the worst element of a result against its reference under |actual − expected| ≤ absolute + relative·|expected|.
/// </summary>
public static class TestArrays
{
    /// <summary><paramref name="length"/> values drawn uniformly from [low, high) by <paramref name="random"/>.</summary>
    public static float[] Uniform(Random random, int length, float low = -1f, float high = 1f)
    {
        ArgumentNullException.ThrowIfNull(random);
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    /// <summary><paramref name="length"/> values drawn uniformly from [low, high) by a generator seeded with <paramref name="seed"/>.</summary>
    public static float[] Uniform(int length, int seed, float low = -1f, float high = 1f) => Uniform(new Random(seed), length, low, high);

    /// <summary>
    /// The element furthest outside its tolerance: Ratio is |actual − expected| / (absolute + relative·|expected|), so
    /// the arrays agree when it is at most 1. Equal values (infinities included) count 0, NaN against a number counts
    /// infinitely far. Index is -1 when both are empty.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static Discrepancy Worst(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double relative, double absolute)
    {
        if (expected.Length != actual.Length)
        {
            throw new ArgumentException($"The result has {actual.Length} values where the reference has {expected.Length}.", nameof(actual));
        }
        var worst = new Discrepancy(-1, 0, 0, 0, 0);
        for (var i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (a.Equals(e)) continue;
            var error = Math.Abs(a - e);
            var allowed = absolute + relative * Math.Abs(e);
            var ratio = double.IsNaN(error) ? double.PositiveInfinity : error / allowed;
            if (worst.Index < 0 || ratio > worst.Ratio) worst = new Discrepancy(i, e, a, error, ratio);
        }
        return worst;
    }
}

/// <summary>One element of a comparison: where, the two values, their distance and that distance over the tolerance.</summary>
public readonly record struct Discrepancy(int Index, double Expected, double Actual, double Error, double Ratio)
{
    /// <summary>True when the element lies within its tolerance.</summary>
    public bool Within => Ratio <= 1;
}
