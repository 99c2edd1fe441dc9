using DeepGpu.Backends.Cpu;
using DeepGpu.Diagnostics;
using Xunit;

namespace DeepGpu.Tests.Cpu;

/// <summary>The blocked SGEMM of every tier against a double-accumulating scalar reference.</summary>
public class GemmTests
{
    // Sizes around the tiles (MR, NR), the blocks (MC, KC from the caches: 256 on common L1s) and 1; (257, 33, 257) and larger
    // take the multi-threaded path, split by rows or by columns.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 7, 33 }, { 7, 1, 257 }, { 7, 33, 1 }, { 33, 7, 7 }, { 33, 33, 33 }, { 1, 257, 7 },
        { 257, 1, 33 }, { 257, 33, 257 }, { 33, 257, 257 }, { 257, 257, 257 }, { 130, 70, 520 },
        // Fewer rows than Sgemm.SkinnyRows skip packing (odd widths hit every strip's tail); the last splits across workers.
        { 2, 77, 19 }, { 3, 133, 40 }, { 3, 2000, 600 },
    };

    public static TheoryData<float, float> Scalings => new() { { 1f, 0f }, { 0.5f, 2f }, { -1.5f, 1f }, { 0f, 0.5f }, { 2f, -1f } };

    [TierTheory(CpuTier.Scalar), MemberData(nameof(Shapes))]
    public void ScalarTier(int m, int n, int k) => CheckAllCases(CpuTier.Scalar, m, n, k);

    [TierTheory(CpuTier.Vector128), MemberData(nameof(Shapes))]
    public void Vector128Tier(int m, int n, int k) => CheckAllCases(CpuTier.Vector128, m, n, k);

    [TierTheory(CpuTier.Vector256), MemberData(nameof(Shapes))]
    public void Vector256Tier(int m, int n, int k) => CheckAllCases(CpuTier.Vector256, m, n, k);

    [TierTheory(CpuTier.Vector512), MemberData(nameof(Shapes))]
    public void Vector512Tier(int m, int n, int k) => CheckAllCases(CpuTier.Vector512, m, n, k);

    [TierTheory(CpuTier.Scalar), MemberData(nameof(Scalings))]
    public void ScalarTierAlphaBeta(float alpha, float beta) => CheckScaling(CpuTier.Scalar, alpha, beta);

    [TierTheory(CpuTier.Vector128), MemberData(nameof(Scalings))]
    public void Vector128TierAlphaBeta(float alpha, float beta) => CheckScaling(CpuTier.Vector128, alpha, beta);

    [TierTheory(CpuTier.Vector256), MemberData(nameof(Scalings))]
    public void Vector256TierAlphaBeta(float alpha, float beta) => CheckScaling(CpuTier.Vector256, alpha, beta);

    [TierTheory(CpuTier.Vector512), MemberData(nameof(Scalings))]
    public void Vector512TierAlphaBeta(float alpha, float beta) => CheckScaling(CpuTier.Vector512, alpha, beta);

    [Fact]
    public void ZeroDepthScalesC()
    {
        using var backend = new CpuBackend();
        using var a = backend.Allocate<float>(1);
        using var c = backend.Allocate<float>(6);
        backend.Upload<float>(new float[] { 1, 2, float.NaN, 4, 5, 6 }, c);
        backend.Gemm(false, false, 2, 3, 0, 1f, a.Slice(0, 0), a.Slice(0, 0), 0f, c);
        Assert.All(Download(backend, c), v => Assert.Equal(0f, v));
    }

    private static void CheckAllCases(CpuTier tier, int m, int n, int k)
    {
        foreach (var ta in new[] { false, true })
        {
            foreach (var tb in new[] { false, true })
            {
                Check(tier, ta, tb, m, n, k, 1f, 0f, seed: m * 31 + n * 7 + k);
            }
        }
    }

    private static void CheckScaling(CpuTier tier, float alpha, float beta)
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            Check(tier, ta, tb, 33, 45, 19, alpha, beta, seed: 5);
            Check(tier, ta, tb, 200, 300, 270, alpha, beta, seed: 6);
            // Skinny rows whose last strip overlaps the vectors before it (and rows narrower than a vector).
            foreach (var n in new[] { 100, 21, 6, 2 }) Check(tier, ta, tb, 3, n, 43, alpha, beta, seed: n);
            // A skinny B larger than the L2 of any core: split by depth across the workers, the parts added after.
            Check(tier, ta, tb, 1, 1000, 1200, alpha, beta, seed: 8);
        }
    }

    // Blockings far smaller than any machine's, not in whole tiles, so every block edge is crossed many times.
    public static TheoryData<int, int, int> SmallBlockings => new() { { 64, 20, 40 }, { 16, 7, 1 }, { 48, 1, 100 } };

    [TierTheory(CpuTier.Scalar), MemberData(nameof(SmallBlockings))]
    public void ScalarTierAnyBlocking(int kc, int mc, int nc) => CheckBlocking(CpuTier.Scalar, new GemmBlocking(kc, mc, nc));

    [TierTheory(CpuTier.Vector128), MemberData(nameof(SmallBlockings))]
    public void Vector128TierAnyBlocking(int kc, int mc, int nc) => CheckBlocking(CpuTier.Vector128, new GemmBlocking(kc, mc, nc));

    [TierTheory(CpuTier.Vector256), MemberData(nameof(SmallBlockings))]
    public void Vector256TierAnyBlocking(int kc, int mc, int nc) => CheckBlocking(CpuTier.Vector256, new GemmBlocking(kc, mc, nc));

    [TierTheory(CpuTier.Vector512), MemberData(nameof(SmallBlockings))]
    public void Vector512TierAnyBlocking(int kc, int mc, int nc) => CheckBlocking(CpuTier.Vector512, new GemmBlocking(kc, mc, nc));

    private static void CheckBlocking(CpuTier tier, GemmBlocking blocking)
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            Check(tier, ta, tb, 37, 45, 130, 1f, 0f, seed: 3, blocking);
            Check(tier, ta, tb, 130, 70, 200, 0.5f, 2f, seed: 4, blocking);
        }
    }

    private static unsafe void Check(CpuTier tier, bool ta, bool tb, int m, int n, int k, float alpha, float beta, int seed,
        GemmBlocking? blocking = null)
    {
        using var backend = new CpuBackend(tier);
        var rng = new Random(seed);
        var a = TestArrays.Uniform(rng, m * k);
        var b = TestArrays.Uniform(rng, k * n);
        // beta = 0 must ignore C entirely, NaN included.
        var c0 = beta == 0f ? Enumerable.Repeat(float.NaN, m * n).ToArray() : TestArrays.Uniform(rng, m * n);
        // Views at an offset, to check the backend honours them.
        using var ab = backend.Allocate<float>(m * k + 3);
        using var bb = backend.Allocate<float>(k * n + 5);
        using var cb = backend.Allocate<float>(m * n + 2);
        var av = ab.Slice(3, m * k);
        var bv = bb.Slice(5, k * n);
        var cv = cb.Slice(1, m * n);
        backend.Upload<float>(a, av);
        backend.Upload<float>(b, bv);
        backend.Upload<float>(c0, cv);
        float[] c;
        if (blocking is { } given)
        {
            // Straight into the GEMM with this blocking, on host copies laid out like the views.
            c = Download(backend, cb);
            fixed (float* pa = a, pb = b, pc = c)
            {
                Sgemm.Run(tier, given, ta, tb, m, n, k, alpha, pa, ta ? m : k, pb, tb ? k : n, beta, pc + 1, n, parallel: true);
            }
        }
        else
        {
            backend.Gemm(ta, tb, m, n, k, alpha, av, bv, beta, cv);
            c = Download(backend, cb);
        }
        Assert.True(float.IsNaN(c[0]) || c[0] == 0f, $"c[0] = {c[0]}");
        Assert.Equal(0f, c[m * n + 1]);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (var p = 0; p < k; p++)
                {
                    double x = ta ? a[p * m + i] : a[i * k + p];
                    double y = tb ? b[j * k + p] : b[p * n + j];
                    sum += x * y;
                    magnitude += Math.Abs(x * y);
                }
                var expected = alpha * sum + (beta == 0f ? 0 : beta * (double)c0[i * n + j]);
                var old = beta == 0f ? 0 : Math.Abs(beta * c0[i * n + j]);
                var tolerance = 1e-6 * (k + 8) * (Math.Abs(alpha) * magnitude + old) + 1e-6;
                var actual = c[1 + i * n + j];
                if (!(Math.Abs(actual - expected) <= tolerance))
                {
                    Assert.Fail($"{tier} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} {m}x{n}x{k} alpha {alpha} beta {beta}: C[{i}, {j}] = {actual}, expected {expected}");
                }
            }
        }
    }

    private static float[] Download(CpuBackend backend, Backends.BufferView<float> view)
    {
        var host = new float[view.Length];
        backend.Download(view, host);
        return host;
    }
}
