// The real single-precision peak of this machine, measured rather than computed from a nominal clock: a loop of
// independent fused multiply-adds per vector width, on one core and on all of them at once. Cores may run wide
// vectors at a lower clock, and a shared or virtual machine may give less than its nominal cores; this sees both.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

/// <summary>Measured FP32 FMA throughput of one <see cref="CpuTier"/>, in GFLOP/s (an FMA counts as two flops).</summary>
public sealed record FmaPeak(CpuTier Tier, double OneCore, double AllCores, int Cores)
{
    /// <summary>Accumulators per loop: covers FMA latency (4 or 5 cycles) times two FMA pipes with room, and fits 16 registers.</summary>
    internal const int Chains = 12;

    /// <summary>The vector tiers this machine supports, widest first, each measured for about <paramref name="seconds"/> per figure (best of three).</summary>
    public static IReadOnlyList<FmaPeak> MeasureAll(double seconds = 0.03)
    {
        var peaks = new List<FmaPeak>();
        foreach (var tier in new[] { CpuTier.Vector512, CpuTier.Vector256, CpuTier.Vector128 })
        {
            if (CpuTiers.IsSupported(tier)) peaks.Add(Measure(tier, seconds));
        }
        return peaks;
    }

    /// <summary>One tier's throughput on one core and on every core at once (best of three runs each).</summary>
    public static FmaPeak Measure(CpuTier tier, double seconds = 0.03)
    {
        if (tier == CpuTier.Scalar || !CpuTiers.IsSupported(tier)) throw new ArgumentException($"Tier {tier} has no vector FMA on this machine.", nameof(tier));
        var cores = Environment.ProcessorCount;
        var iterations = Calibrate(tier, seconds);
        double Best(int threads) => Enumerable.Range(0, 3).Max(_ => Run(tier, threads, iterations));
        return new FmaPeak(tier, Best(1), Best(cores), cores);
    }

    private static long Calibrate(CpuTier tier, double seconds)
    {
        const long probe = 20_000;
        Loop(tier, probe);
        var clock = Stopwatch.StartNew();
        Loop(tier, probe);
        return Math.Max(probe, (long)(probe * seconds / Math.Max(clock.Elapsed.TotalSeconds, 1e-7)));
    }

    /// <summary>GFLOP/s of <paramref name="threads"/> threads each running the loop once, started together, timed to the last one's end.</summary>
    private static double Run(CpuTier tier, int threads, long iterations)
    {
        if (threads == 1)
        {
            var clock = Stopwatch.StartNew();
            Loop(tier, iterations);
            return Flops(tier, iterations) / clock.Elapsed.TotalSeconds / 1e9;
        }
        using var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            Loop(tier, iterations);
        }) { IsBackground = true }).ToArray();
        foreach (var w in workers) w.Start();
        start.SignalAndWait();
        var wall = Stopwatch.StartNew();
        foreach (var w in workers) w.Join();
        return threads * Flops(tier, iterations) / wall.Elapsed.TotalSeconds / 1e9;
    }

    private static double Flops(CpuTier tier, long iterations) => 2.0 * Chains * Lanes(tier) * iterations;

    private static int Lanes(CpuTier tier) => tier switch { CpuTier.Vector512 => 16, CpuTier.Vector256 => 8, _ => 4 };

    private static float Loop(CpuTier tier, long iterations) => tier switch
    {
        CpuTier.Vector512 => Lanes512.Fold(Chain<Vector512<float>, Lanes512>(iterations, 0.999f, 1e-3f)).ToScalar(),
        CpuTier.Vector256 => Lanes256.Fold(Chain<Vector256<float>, Lanes256>(iterations, 0.999f, 1e-3f)).ToScalar(),
        _ => Lanes128.Fold(Chain<Vector128<float>, Lanes128>(iterations, 0.999f, 1e-3f)).ToScalar(),
    };

    /// <summary>Twelve independent chains acc = acc·x + y (converging, so no overflow or denormals), summed so none is dead code.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static TV Chain<TV, TL>(long iterations, float xs, float ys) where TV : struct where TL : struct, ILanes<TV>
    {
        var x = TL.Broadcast(xs);
        var y = TL.Broadcast(ys);
        TV a0 = y, a1 = y, a2 = y, a3 = y, a4 = y, a5 = y, a6 = y, a7 = y, a8 = y, a9 = y, a10 = y, a11 = y;
        for (long i = 0; i < iterations; i++)
        {
            a0 = TL.MultiplyAdd(a0, x, y);
            a1 = TL.MultiplyAdd(a1, x, y);
            a2 = TL.MultiplyAdd(a2, x, y);
            a3 = TL.MultiplyAdd(a3, x, y);
            a4 = TL.MultiplyAdd(a4, x, y);
            a5 = TL.MultiplyAdd(a5, x, y);
            a6 = TL.MultiplyAdd(a6, x, y);
            a7 = TL.MultiplyAdd(a7, x, y);
            a8 = TL.MultiplyAdd(a8, x, y);
            a9 = TL.MultiplyAdd(a9, x, y);
            a10 = TL.MultiplyAdd(a10, x, y);
            a11 = TL.MultiplyAdd(a11, x, y);
        }
        var s0 = TL.MultiplyAdd(a0, x, a1);
        var s1 = TL.MultiplyAdd(a2, x, a3);
        var s2 = TL.MultiplyAdd(a4, x, a5);
        var s3 = TL.MultiplyAdd(a6, x, a7);
        var s4 = TL.MultiplyAdd(a8, x, a9);
        var s5 = TL.MultiplyAdd(a10, x, a11);
        return TL.MultiplyAdd(TL.MultiplyAdd(s0, x, s1), x, TL.MultiplyAdd(TL.MultiplyAdd(s2, x, s3), x, TL.MultiplyAdd(s4, x, s5)));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Tier}: {OneCore:F0} GFLOP/s on one core, {AllCores:F0} on {Cores}";
}
