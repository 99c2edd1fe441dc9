// C with fewer rows than SkinnyRows (batch-1 inference: one image through a dense layer) and B not transposed.
// Packing would copy all of B to read it once, and the MR-row tile would multiply mostly zero rows; here each
// row of B is read straight from where it lies, one row of C in strips of eight vectors (a layer of up to 128
// outputs reads B in one pass) or two rows in strips of four, the sums staying in registers through the whole
// depth. A row of C that is not a whole number of vectors ends in vectors that start earlier and overlap the
// ones before: the kernels write plain sums, the same value twice where vectors overlap, and alpha and beta
// are applied afterwards. The kernels make no calls, so their sums are never spilled in the loop, with or
// without profile-guided compiling. A B larger than one core's L2 is split by depth across the workers, each
// worker always summing the same rows of B (which so stay in its own L2 from call to call), and the parts are
// added in a fixed order.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

internal static unsafe partial class Sgemm
{
    /// <summary>C with fewer rows than this, and B not transposed, skips packing: B is read once instead of three times.</summary>
    internal const int SkinnyRows = 4;

    [ThreadStatic] private static float[]? _skinnySums;
    [ThreadStatic] private static SkinnyJob? _skinnyJob;

    private static bool IsSkinny(CpuTier tier, bool tb, int m) => !tb && m < SkinnyRows && tier != CpuTier.Scalar;

    /// <summary>Whether a skinny product's B outgrows one core's L2, so that splitting it keeps each part in a core's own L2.</summary>
    internal static bool SplitsSkinny(CpuCaches caches, int n, int k) => (long)n * k * sizeof(float) > caches.L2;

    private static void Skinny(CpuTier tier, bool ta, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (alpha == 1f && beta == 0f)
        {
            SkinnySums(tier, ta, m, n, 0, k, a, lda, b, ldb, c, ldc);
            return;
        }
        var sums = Buffer(ref _skinnySums, m * n);
        SkinnySums(tier, ta, m, n, 0, k, a, lda, b, ldb, sums, n);
        Combine(m, n, alpha, sums, 1, beta, c, ldc);
    }

    /// <summary>The skinny product with its depth split into one part per worker, worker w always taking part w.</summary>
    private static void SkinnySplit(WorkerPool pool, CpuTier tier, bool ta, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc)
    {
        var parts = pool.Workers;
        var sums = Buffer(ref _skinnySums, parts * m * n);
        var job = _skinnyJob ??= new SkinnyJob();
        job.Set(tier, ta, m, n, k, a, lda, b, ldb, sums, parts);
        pool.RunPerWorker(job);
        Combine(m, n, alpha, sums, parts, beta, c, ldc);
    }

    private sealed class SkinnyJob : WorkerPool.IWork
    {
        private CpuTier _tier;
        private bool _ta;
        private int _m, _n, _k, _lda, _ldb, _parts;
        private float* _a, _b, _sums;

        public void Set(CpuTier tier, bool ta, int m, int n, int k, float* a, int lda, float* b, int ldb, float* sums, int parts)
        {
            (_tier, _ta, _m, _n, _k, _lda, _ldb, _parts) = (tier, ta, m, n, k, lda, ldb, parts);
            _a = a;
            _b = b;
            _sums = sums;
        }

        public void Run(int index, int worker)
        {
            var (first, last) = WorkerPool.Chunk(index, _parts, _k);
            SkinnySums(_tier, _ta, _m, _n, first, last, _a, _lda, _b, _ldb, _sums + (long)index * _m * _n, _n);
        }
    }

    // c = alpha·(Σ of the parts, in order) + beta·c; the parts are m×n sums one after another.
    private static void Combine(int m, int n, float alpha, float* sums, int parts, float beta, float* c, int ldc)
    {
        long part = (long)m * n;
        for (var i = 0; i < m; i++)
        {
            var ci = c + (long)i * ldc;
            var si = sums + (long)i * n;
            for (var j = 0; j < n; j++)
            {
                var t = si[j];
                for (var q = 1; q < parts; q++) t += si[q * part + j];
                ci[j] = beta == 0f ? alpha * t : alpha * t + beta * ci[j];
            }
        }
    }

    // s = op(A)·B over the depths [kBegin, kEnd), plain sums, s with row stride lds.
    private static void SkinnySums(CpuTier tier, bool ta, int m, int n, int kBegin, int kEnd, float* a, int lda, float* b, int ldb, float* s, int lds)
    {
        // Step between consecutive p of one row of op(A), and between rows.
        int aStep = ta ? lda : 1, aRow = ta ? 1 : lda;
        a += (long)kBegin * aStep;
        b += (long)kBegin * ldb;
        var k = kEnd - kBegin;
        var lanes = tier == CpuTier.Vector512 && n >= 16 ? 16 : tier >= CpuTier.Vector256 && n >= 8 ? 8 : n >= 4 ? 4 : 1;
        for (var i = 0; i < m; i += 2)
        {
            var ai = a + (long)i * aRow;
            var si = s + (long)i * lds;
            if (i + 1 < m)
            {
                switch (lanes)
                {
                    case 16: SkinnyRowPair<Vector512<float>, Lanes512>(n, k, ai, aStep, aRow, b, ldb, si, lds); break;
                    case 8: SkinnyRowPair<Vector256<float>, Lanes256>(n, k, ai, aStep, aRow, b, ldb, si, lds); break;
                    case 4: SkinnyRowPair<Vector128<float>, Lanes128>(n, k, ai, aStep, aRow, b, ldb, si, lds); break;
                    default: SkinnyScalar(n, k, ai, aStep, b, ldb, si); SkinnyScalar(n, k, ai + aRow, aStep, b, ldb, si + lds); break;
                }
            }
            else
            {
                switch (lanes)
                {
                    case 16: SkinnyRow<Vector512<float>, Lanes512>(n, k, ai, aStep, b, ldb, si); break;
                    case 8: SkinnyRow<Vector256<float>, Lanes256>(n, k, ai, aStep, b, ldb, si); break;
                    case 4: SkinnyRow<Vector128<float>, Lanes128>(n, k, ai, aStep, b, ldb, si); break;
                    default: SkinnyScalar(n, k, ai, aStep, b, ldb, si); break;
                }
            }
        }
    }

    // One row of sums, at least one vector wide, in strips of eight vectors.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SkinnyRow<TV, TL>(int n, int k, float* a, int aStep, float* b, int ldb, float* s)
        where TV : struct where TL : struct, ILanes<TV>
    {
        var w = TL.Count;
        for (var j = 0; j < n; j += 8 * w)
        {
            // The last strip's vectors start no later than n - w, overlapping the ones before them.
            int s0 = Math.Min(j, n - w), s1 = Math.Min(j + w, n - w), s2 = Math.Min(j + 2 * w, n - w), s3 = Math.Min(j + 3 * w, n - w);
            int s4 = Math.Min(j + 4 * w, n - w), s5 = Math.Min(j + 5 * w, n - w), s6 = Math.Min(j + 6 * w, n - w), s7 = Math.Min(j + 7 * w, n - w);
            TV x0 = default, x1 = default, x2 = default, x3 = default, x4 = default, x5 = default, x6 = default, x7 = default;
            var row = b;
            var ap = a;
            for (var p = 0; p < k; p++, row += ldb, ap += aStep)
            {
                var t = TL.Broadcast(*ap);
                x0 = TL.MultiplyAdd(t, TL.Load(row + s0), x0);
                x1 = TL.MultiplyAdd(t, TL.Load(row + s1), x1);
                x2 = TL.MultiplyAdd(t, TL.Load(row + s2), x2);
                x3 = TL.MultiplyAdd(t, TL.Load(row + s3), x3);
                x4 = TL.MultiplyAdd(t, TL.Load(row + s4), x4);
                x5 = TL.MultiplyAdd(t, TL.Load(row + s5), x5);
                x6 = TL.MultiplyAdd(t, TL.Load(row + s6), x6);
                x7 = TL.MultiplyAdd(t, TL.Load(row + s7), x7);
            }
            TL.Store(x0, s + s0);
            TL.Store(x1, s + s1);
            TL.Store(x2, s + s2);
            TL.Store(x3, s + s3);
            TL.Store(x4, s + s4);
            TL.Store(x5, s + s5);
            TL.Store(x6, s + s6);
            TL.Store(x7, s + s7);
        }
    }

    // Two rows of sums, at least one vector wide, in strips of four vectors.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SkinnyRowPair<TV, TL>(int n, int k, float* a, int aStep, int aRow, float* b, int ldb, float* s, int lds)
        where TV : struct where TL : struct, ILanes<TV>
    {
        var w = TL.Count;
        for (var j = 0; j < n; j += 4 * w)
        {
            int s0 = Math.Min(j, n - w), s1 = Math.Min(j + w, n - w), s2 = Math.Min(j + 2 * w, n - w), s3 = Math.Min(j + 3 * w, n - w);
            TV x0 = default, x1 = default, x2 = default, x3 = default, y0 = default, y1 = default, y2 = default, y3 = default;
            var row = b;
            var ap = a;
            for (var p = 0; p < k; p++, row += ldb, ap += aStep)
            {
                var b0 = TL.Load(row + s0);
                var b1 = TL.Load(row + s1);
                var b2 = TL.Load(row + s2);
                var b3 = TL.Load(row + s3);
                var u = TL.Broadcast(*ap);
                x0 = TL.MultiplyAdd(u, b0, x0);
                x1 = TL.MultiplyAdd(u, b1, x1);
                x2 = TL.MultiplyAdd(u, b2, x2);
                x3 = TL.MultiplyAdd(u, b3, x3);
                var v = TL.Broadcast(ap[aRow]);
                y0 = TL.MultiplyAdd(v, b0, y0);
                y1 = TL.MultiplyAdd(v, b1, y1);
                y2 = TL.MultiplyAdd(v, b2, y2);
                y3 = TL.MultiplyAdd(v, b3, y3);
            }
            TL.Store(x0, s + s0);
            TL.Store(x1, s + s1);
            TL.Store(x2, s + s2);
            TL.Store(x3, s + s3);
            TL.Store(y0, s + lds + s0);
            TL.Store(y1, s + lds + s1);
            TL.Store(y2, s + lds + s2);
            TL.Store(y3, s + lds + s3);
        }
    }

    // A row of sums narrower than the narrowest vector.
    private static void SkinnyScalar(int n, int k, float* a, int aStep, float* b, int ldb, float* s)
    {
        for (var j = 0; j < n; j++)
        {
            float x = 0;
            for (var p = 0; p < k; p++) x += a[(long)p * aStep] * b[(long)p * ldb + j];
            s[j] = x;
        }
    }
}
