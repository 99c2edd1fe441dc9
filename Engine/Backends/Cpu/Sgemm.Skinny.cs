// C with fewer rows than SkinnyRows (batch-1 inference: one image through a dense layer) and B not transposed.
// Packing would copy all of B to read it once, and the MR-row tile would multiply mostly zero rows; here each
// row of B is read straight from where it lies, for two rows of C at a time, in strips of four vectors whose
// sums stay in registers through the whole depth. B is streamed once: a row of C that is not a whole number
// of vectors ends in vectors that start earlier and overlap the ones before, and a row narrower than the
// tier's vector runs on a narrower one.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

internal static unsafe partial class Sgemm
{
    /// <summary>C with fewer rows than this, and B not transposed, skips packing: B is read once instead of three times.</summary>
    internal const int SkinnyRows = 4;

    private static bool IsSkinny(CpuTier tier, bool tb, int m) => !tb && m < SkinnyRows && tier != CpuTier.Scalar;

    private static void Skinny(CpuTier tier, bool ta, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        // Step between consecutive p of one row of op(A), and between rows.
        int aStep = ta ? lda : 1, aRow = ta ? 1 : lda;
        var lanes = tier == CpuTier.Vector512 && n >= 16 ? 16 : tier >= CpuTier.Vector256 && n >= 8 ? 8 : n >= 4 ? 4 : 1;
        for (var i = 0; i < m; i += 2)
        {
            var two = i + 1 < m;
            var ai = a + (long)i * aRow;
            var ci = c + (long)i * ldc;
            switch (lanes)
            {
                case 16: SkinnyRowPair<Vector512<float>, Lanes512>(two, n, k, alpha, ai, aStep, aRow, b, ldb, beta, ci, ldc); break;
                case 8: SkinnyRowPair<Vector256<float>, Lanes256>(two, n, k, alpha, ai, aStep, aRow, b, ldb, beta, ci, ldc); break;
                case 4: SkinnyRowPair<Vector128<float>, Lanes128>(two, n, k, alpha, ai, aStep, aRow, b, ldb, beta, ci, ldc); break;
                default: SkinnyRowPairScalar(two, n, k, alpha, ai, aStep, aRow, b, ldb, beta, ci, ldc); break;
            }
        }
    }

    // One or two rows of C, at least one vector wide, in strips of four vectors.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SkinnyRowPair<TV, TL>(bool two, int n, int k, float alpha, float* a, int aStep, int aRow, float* b, int ldb,
        float beta, float* c, int ldc) where TV : struct where TL : struct, ILanes<TV>
    {
        var w = TL.Count;
        var a1 = two ? a + aRow : a;
        for (var j = 0; j < n; j += 4 * w)
        {
            // The last strip's vectors start no later than n - w, overlapping the ones before them.
            int s0 = Math.Min(j, n - w), s1 = Math.Min(j + w, n - w), s2 = Math.Min(j + 2 * w, n - w), s3 = Math.Min(j + 3 * w, n - w);
            TV x0 = default, x1 = default, x2 = default, x3 = default, y0 = default, y1 = default, y2 = default, y3 = default;
            for (var p = 0; p < k; p++)
            {
                var row = b + (long)p * ldb;
                var b0 = TL.Load(row + s0);
                var b1 = TL.Load(row + s1);
                var b2 = TL.Load(row + s2);
                var b3 = TL.Load(row + s3);
                var s = TL.Broadcast(a[(long)p * aStep]);
                x0 = TL.MultiplyAdd(s, b0, x0);
                x1 = TL.MultiplyAdd(s, b1, x1);
                x2 = TL.MultiplyAdd(s, b2, x2);
                x3 = TL.MultiplyAdd(s, b3, x3);
                var t = TL.Broadcast(a1[(long)p * aStep]);
                y0 = TL.MultiplyAdd(t, b0, y0);
                y1 = TL.MultiplyAdd(t, b1, y1);
                y2 = TL.MultiplyAdd(t, b2, y2);
                y3 = TL.MultiplyAdd(t, b3, y3);
            }
            if (j + 4 * w <= n)
            {
                Store6<TV, TL>(x0, x1, c + j, w, alpha, beta);
                Store6<TV, TL>(x2, x3, c + j + 2 * w, w, alpha, beta);
                if (!two) continue;
                Store6<TV, TL>(y0, y1, c + ldc + j, w, alpha, beta);
                Store6<TV, TL>(y2, y3, c + ldc + j + 2 * w, w, alpha, beta);
                continue;
            }
            // Each vector stores only the columns after those of the vector before it.
            int k0 = j - s0, k1 = s0 + w - s1, k2 = s1 + w - s2, k3 = s2 + w - s3;
            StoreTail<TV, TL>(x0, c + s0, k0, alpha, beta);
            StoreTail<TV, TL>(x1, c + s1, k1, alpha, beta);
            StoreTail<TV, TL>(x2, c + s2, k2, alpha, beta);
            StoreTail<TV, TL>(x3, c + s3, k3, alpha, beta);
            if (!two) continue;
            StoreTail<TV, TL>(y0, c + ldc + s0, k0, alpha, beta);
            StoreTail<TV, TL>(y1, c + ldc + s1, k1, alpha, beta);
            StoreTail<TV, TL>(y2, c + ldc + s2, k2, alpha, beta);
            StoreTail<TV, TL>(y3, c + ldc + s3, k3, alpha, beta);
        }
    }

    // A vector of the last strip whose first `skip` columns another vector stores (all of them when the strip
    // needed fewer than four vectors): with beta those were already overwritten, so this vector's are dropped.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTail<TV, TL>(TV v, float* c, int skip, float alpha, float beta) where TV : struct where TL : struct, ILanes<TV>
    {
        var w = TL.Count;
        if (skip >= w) return;
        if (skip <= 0)
        {
            StoreOne<TV, TL>(v, c, alpha, beta);
            return;
        }
        var lanes = stackalloc float[16];
        TL.Store(v, lanes);
        for (var q = skip; q < w; q++) c[q] = beta == 0f ? alpha * lanes[q] : alpha * lanes[q] + beta * c[q];
    }

    // Rows of C narrower than the narrowest vector.
    private static void SkinnyRowPairScalar(bool two, int n, int k, float alpha, float* a, int aStep, int aRow, float* b, int ldb,
        float beta, float* c, int ldc)
    {
        var a1 = two ? a + aRow : a;
        for (var j = 0; j < n; j++)
        {
            float x = 0, y = 0;
            for (var p = 0; p < k; p++)
            {
                var bv = b[(long)p * ldb + j];
                x += a[(long)p * aStep] * bv;
                y += a1[(long)p * aStep] * bv;
            }
            c[j] = beta == 0f ? alpha * x : alpha * x + beta * c[j];
            if (two) c[ldc + j] = beta == 0f ? alpha * y : alpha * y + beta * c[ldc + j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreOne<TV, TL>(TV v, float* c, float alpha, float beta) where TV : struct where TL : struct, ILanes<TV>
    {
        var scaled = TL.Multiply(v, TL.Broadcast(alpha));
        TL.Store(beta == 0f ? scaled : TL.MultiplyAdd(TL.Load(c), TL.Broadcast(beta), scaled), c);
    }
}
