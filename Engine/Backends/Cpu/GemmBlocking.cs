namespace DeepGpu.Backends.Cpu;

/// <summary>
/// The GEMM's cache blocking (Goto/BLIS): a KC-deep slice, MC rows of A packed per block, NC columns of B
/// packed per panel. Derived from the cache sizes rather than tuned for one CPU.
/// </summary>
internal readonly record struct GemmBlocking(int KC, int MC, int NC)
{
    private const int FloatBytes = sizeof(float);

    /// <summary>
    /// KC: an MR×KC sliver of A and a KC×NR sliver of B stay in L1 through the micro-kernel, with a sixth of L1 left
    /// for the C tile's lines and the stack. MC: the MC×KC block of A fills half of L2 (B's slivers and C stream
    /// through the other half). NC: the KC×NC panel of B fills half of this core's share of L3.
    /// Each is rounded down to whole tiles and kept within bounds that bound the packing buffers.
    /// </summary>
    public static GemmBlocking Derive(CpuCaches caches, int mr, int nr)
    {
        var kc = Clamp(caches.L1Data * 5 / 6 / ((mr + nr) * FloatBytes), 16, 64, 512);
        var mc = Clamp(caches.L2 / 2 / (kc * FloatBytes), mr, mr, 1024);
        var nc = Clamp(caches.L3PerCore / 2 / (kc * FloatBytes), nr, 8 * nr, 4096);
        return new GemmBlocking(kc, mc, nc);
    }

    /// <summary>value kept within [min, max], then rounded down to a whole number of steps (at least one).</summary>
    private static int Clamp(long value, int step, int min, int max)
    {
        var v = Math.Clamp(value, min, max);
        return (int)Math.Max(step, v / step * step);
    }
}
