// Sgemm: C = alpha·op(A)·op(B) + beta·C, row-major, any strides, in the Goto/BLIS shape:
//   for each NC-column block of B, each KC-deep slice: pack B into NR-wide panels (L3/L2),
//   for each MC-row block of A: pack A into MR-tall panels (L2), then sweep MR×NR register tiles (L1).
// KC, MC and NC come from this machine's cache sizes (GemmBlocking), not from constants tuned for one CPU.
// Packing absorbs the four transpose cases, so one micro-kernel per tier serves them all; panels are
// zero-padded so edge tiles run the same kernel into a scratch tile. Packing buffers are per thread and
// reused. Large products split C across the worker pool by columns (or rows when C is tall).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

internal static unsafe partial class Sgemm
{
    private const int MaxMR = 8;
    private const int MaxNR = 32;

    /// <summary>Below this many multiply-adds a GEMM runs on the caller's thread: waking workers costs more.</summary>
    public const long ParallelThreshold = 1L << 19;

    [ThreadStatic] private static float[]? _packA;
    [ThreadStatic] private static float[]? _packB;
    [ThreadStatic] private static ParallelJob? _job;

    private readonly record struct Tile(int MR, int NR);

    private static Tile TileOf(CpuTier tier) => tier switch
    {
        CpuTier.Vector512 => new(8, 32),
        CpuTier.Vector256 => new(6, 16),
        CpuTier.Vector128 => new(6, 8),
        _ => new(4, 4),
    };

    // Per tier (indexed by CpuTier), from this machine's caches.
    private static readonly GemmBlocking[] _machineBlocking = Enum.GetValues<CpuTier>().Select(t => BlockingFor(CpuCaches.Machine, t)).ToArray();

    /// <summary>The blocking a tier's tile gets from the given caches.</summary>
    internal static GemmBlocking BlockingFor(CpuCaches caches, CpuTier tier)
    {
        var t = TileOf(tier);
        return GemmBlocking.Derive(caches, t.MR, t.NR);
    }

    /// <summary>The blocking a tier runs with on this machine.</summary>
    internal static GemmBlocking Blocking(CpuTier tier) => _machineBlocking[(int)tier];

    /// <summary>Runs the GEMM; <paramref name="parallel"/> lets a large one use the worker pool.</summary>
    public static void Run(CpuTier tier, bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, bool parallel) =>
        Run(tier, Blocking(tier), transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parallel);

    /// <summary>Runs the GEMM with a given blocking (tests and benchmarks try others than the machine's).</summary>
    internal static void Run(CpuTier tier, GemmBlocking blocking, bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, bool parallel)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == 0f)
        {
            Scale(tier, m, n, beta, c, ldc);
            return;
        }
        var pool = WorkerPool.Shared;
        if (IsSkinny(tier, transposeB, m))
        {
            // A skinny product streams B: worth splitting once B outgrows one core's L2, whatever m.
            if (parallel && pool.Workers > 1 && SplitsSkinny(CpuCaches.Machine, n, k)) SkinnySplit(pool, tier, transposeA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            else Skinny(tier, transposeA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        if (!parallel || pool.Workers == 1 || (long)m * n * k < ParallelThreshold)
        {
            Serial(tier, blocking, transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        var t = TileOf(tier);
        var j = _job ??= new ParallelJob();
        j.Set(tier, blocking, transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        // Split the longer side of C into one chunk per worker, in whole register tiles.
        var byColumns = n >= m;
        var step = byColumns ? t.NR : t.MR;
        var tiles = byColumns ? (n + step - 1) / step : (m + step - 1) / step;
        var chunks = Math.Min(pool.Workers, tiles);
        j.Split(byColumns, step, tiles, chunks);
        pool.Run(chunks, j);
    }

    private static void Scale(CpuTier tier, int m, int n, float beta, float* c, int ldc)
    {
        for (var i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) TierLoop.MultiplyAdd(tier, row, beta, 0f, row);
        }
    }

    private sealed class ParallelJob : WorkerPool.IWork
    {
        private CpuTier _tier;
        private GemmBlocking _blocking;
        private bool _ta, _tb, _byColumns;
        private int _m, _n, _k, _lda, _ldb, _ldc, _step, _tiles, _chunks;
        private float _alpha, _beta;
        private float* _a, _b, _c;

        public void Set(CpuTier tier, GemmBlocking blocking, bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
            float beta, float* c, int ldc)
        {
            (_tier, _blocking, _ta, _tb, _m, _n, _k, _alpha, _beta) = (tier, blocking, ta, tb, m, n, k, alpha, beta);
            _a = a;
            _b = b;
            _c = c;
            (_lda, _ldb, _ldc) = (lda, ldb, ldc);
        }

        public void Split(bool byColumns, int step, int tiles, int chunks) =>
            (_byColumns, _step, _tiles, _chunks) = (byColumns, step, tiles, chunks);

        public void Run(int index, int worker)
        {
            var first = (int)((long)_tiles * index / _chunks) * _step;
            var last = (int)((long)_tiles * (index + 1) / _chunks) * _step;
            if (_byColumns)
            {
                last = Math.Min(last, _n);
                if (last <= first) return;
                var bj = _tb ? _b + (long)first * _ldb : _b + first;
                Serial(_tier, _blocking, _ta, _tb, _m, last - first, _k, _alpha, _a, _lda, bj, _ldb, _beta, _c + first, _ldc);
            }
            else
            {
                last = Math.Min(last, _m);
                if (last <= first) return;
                var ai = _ta ? _a + first : _a + (long)first * _lda;
                Serial(_tier, _blocking, _ta, _tb, last - first, _n, _k, _alpha, ai, _lda, _b, _ldb, _beta, _c + (long)first * _ldc, _ldc);
            }
        }
    }

    private static float* Buffer(ref float[]? buffer, int length)
    {
        // Pinned once per thread (again only if a larger blocking asks for more), so the packed panels need no fixed blocks and never move.
        if (buffer is null || buffer.Length < length) buffer = GC.AllocateUninitializedArray<float>(length, pinned: true);
        return (float*)Unsafe.AsPointer(ref buffer[0]);
    }

    /// <summary>The single-threaded blocked GEMM.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Serial(CpuTier tier, GemmBlocking blocking, bool ta, bool tb, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (IsSkinny(tier, tb, m))
        {
            Skinny(tier, ta, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        var t = TileOf(tier);
        var (kcMax, mcMax, ncMax) = blocking;
        mcMax = Math.Max(t.MR, mcMax / t.MR * t.MR);
        ncMax = Math.Max(t.NR, ncMax / t.NR * t.NR);
        var ap = Buffer(ref _packA, mcMax * kcMax);
        var bp = Buffer(ref _packB, kcMax * ncMax);
        var scratch = stackalloc float[MaxMR * MaxNR];
        for (var jc = 0; jc < n; jc += ncMax)
        {
            var nc = Math.Min(ncMax, n - jc);
            for (var pc = 0; pc < k; pc += kcMax)
            {
                var kc = Math.Min(kcMax, k - pc);
                var betaStep = pc == 0 ? beta : 1f;
                PackB(tier, tb, kc, nc, t.NR, tb ? b + (long)jc * ldb + pc : b + (long)pc * ldb + jc, ldb, bp);
                for (var ic = 0; ic < m; ic += mcMax)
                {
                    var mc = Math.Min(mcMax, m - ic);
                    PackA(ta, mc, kc, t.MR, ta ? a + (long)pc * lda + ic : a + (long)ic * lda + pc, lda, ap);
                    for (var jr = 0; jr < nc; jr += t.NR)
                    {
                        var nr = Math.Min(t.NR, nc - jr);
                        var bPanel = bp + (long)jr * kc;
                        for (var ir = 0; ir < mc; ir += t.MR)
                        {
                            var mr = Math.Min(t.MR, mc - ir);
                            var aPanel = ap + (long)ir * kc;
                            var cTile = c + (long)(ic + ir) * ldc + jc + jr;
                            if (mr == t.MR && nr == t.NR)
                            {
                                Kernel(tier, kc, aPanel, bPanel, cTile, ldc, alpha, betaStep);
                            }
                            else
                            {
                                Kernel(tier, kc, aPanel, bPanel, scratch, t.NR, alpha, 0f);
                                for (var r = 0; r < mr; r++)
                                {
                                    var cr = cTile + (long)r * ldc;
                                    var sr = scratch + r * t.NR;
                                    if (betaStep == 0f) for (var q = 0; q < nr; q++) cr[q] = sr[q];
                                    else for (var q = 0; q < nr; q++) cr[q] = sr[q] + betaStep * cr[q];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(CpuTier tier, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        switch (tier)
        {
            case CpuTier.Vector512: Kernel512(kc, a, new PackedRows(b, 32), c, ldc, alpha, beta); break;
            case CpuTier.Vector256: Kernel256(kc, a, new PackedRows(b, 16), c, ldc, alpha, beta); break;
            case CpuTier.Vector128: Kernel128(kc, a, new PackedRows(b, 8), c, ldc, alpha, beta); break;
            default: KernelScalar(kc, a, b, c, ldc, alpha, beta); break;
        }
    }

    // op(A) block [mc, kc] into MR-tall panels, each stored [kc][MR], rows past mc zero.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(bool ta, int mc, int kc, int mr, float* a, int lda, float* dst)
    {
        for (var i0 = 0; i0 < mc; i0 += mr)
        {
            var rows = Math.Min(mr, mc - i0);
            if (ta)
            {
                // Stored [k, m]: the panel's rows are contiguous for each p.
                for (var p = 0; p < kc; p++)
                {
                    var src = a + (long)p * lda + i0;
                    var d = dst + p * mr;
                    var r = 0;
                    for (; r < rows; r++) d[r] = src[r];
                    for (; r < mr; r++) d[r] = 0f;
                }
            }
            else if (mr == 8 && rows == 8)
            {
                // Eight rows at a time: eight loads, one 32-byte store per p instead of eight scattered ones.
                Interleave8(a + (long)i0 * lda, lda, kc, dst, 8);
            }
            else
            {
                for (var r = 0; r < rows; r++)
                {
                    var src = a + (long)(i0 + r) * lda;
                    for (var p = 0; p < kc; p++) dst[p * mr + r] = src[p];
                }
                for (var r = rows; r < mr; r++)
                {
                    for (var p = 0; p < kc; p++) dst[p * mr + r] = 0f;
                }
            }
            dst += (long)mr * kc;
        }
    }

    // op(B) block [kc, nc] into NR-wide panels, each stored [kc][NR], columns past nc zero.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(CpuTier tier, bool tb, int kc, int nc, int nr, float* b, int ldb, float* dst)
    {
        for (var j0 = 0; j0 < nc; j0 += nr)
        {
            var cols = Math.Min(nr, nc - j0);
            if (!tb)
            {
                for (var p = 0; p < kc; p++)
                {
                    var src = b + (long)p * ldb + j0;
                    var d = dst + p * nr;
                    if (cols == nr) new ReadOnlySpan<float>(src, nr).CopyTo(new Span<float>(d, nr));
                    else
                    {
                        var q = 0;
                        for (; q < cols; q++) d[q] = src[q];
                        for (; q < nr; q++) d[q] = 0f;
                    }
                }
            }
            else
            {
                // Stored [n, k]: each column of op(B) is a contiguous row of B; eight at a time where they fit and the
                // tier has 256-bit vectors.
                var q0 = 0;
                if (tier >= CpuTier.Vector256)
                {
                    for (; q0 + 8 <= cols; q0 += 8) Interleave8(b + (long)(j0 + q0) * ldb, ldb, kc, dst + q0, nr);
                }
                for (var q = q0; q < cols; q++)
                {
                    var src = b + (long)(j0 + q) * ldb;
                    for (var p = 0; p < kc; p++) dst[p * nr + q] = src[p];
                }
                for (var q = cols; q < nr; q++)
                {
                    for (var p = 0; p < kc; p++) dst[p * nr + q] = 0f;
                }
            }
            dst += (long)nr * kc;
        }
    }

    /// <summary>Eight rows <paramref name="stride"/> floats apart, side by side: d[p·step + r] = row r's p-th float, one
    /// 256-bit store per p. Only for tiers with 256-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave8(float* s0, int stride, int kc, float* d, int step)
    {
        float* s1 = s0 + stride, s2 = s1 + stride, s3 = s2 + stride, s4 = s3 + stride, s5 = s4 + stride, s6 = s5 + stride, s7 = s6 + stride;
        for (var p = 0; p < kc; p++) Vector256.Create(s0[p], s1[p], s2[p], s3[p], s4[p], s5[p], s6[p], s7[p]).Store(d + p * step);
    }

    // 4×4 scalar tile: the fallback tier, and the tests' check that the blocking is right without SIMD.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelScalar(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (var p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            var a0 = a[0];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            var a1 = a[1];
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            var a2 = a[2];
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            var a3 = a[3];
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            a += 4;
            b += 4;
        }
        Store(c, alpha, beta, c00, c01, c02, c03);
        Store(c + ldc, alpha, beta, c10, c11, c12, c13);
        Store(c + 2 * ldc, alpha, beta, c20, c21, c22, c23);
        Store(c + 3 * ldc, alpha, beta, c30, c31, c32, c33);
    }

    private static void Store(float* c, float alpha, float beta, float v0, float v1, float v2, float v3)
    {
        if (beta == 0f)
        {
            c[0] = alpha * v0; c[1] = alpha * v1; c[2] = alpha * v2; c[3] = alpha * v3;
        }
        else
        {
            c[0] = alpha * v0 + beta * c[0]; c[1] = alpha * v1 + beta * c[1];
            c[2] = alpha * v2 + beta * c[2]; c[3] = alpha * v3 + beta * c[3];
        }
    }
}
