// C with fewer rows than SkinnyRows (batch-1 inference: one image through a dense layer) and B not transposed.
// Packing would copy all of B to read it once, and the MR-row tile would multiply mostly zero rows; here each
// row of B is read straight from where it lies, for two rows of C at a time, in strips of four vectors whose
// sums stay in registers through the whole depth.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

internal static unsafe partial class Sgemm
{
    /// <summary>C with fewer rows than this, and B not transposed, skips packing: B is read at most twice instead of three times.</summary>
    internal const int SkinnyRows = 4;

    private static bool IsSkinny(CpuTier tier, bool tb, int m) => !tb && m < SkinnyRows && tier != CpuTier.Scalar;

    private static void Skinny(CpuTier tier, bool ta, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        // Step between consecutive p of one row of op(A), and between rows.
        int aStep = ta ? lda : 1, aRow = ta ? 1 : lda;
        for (var i = 0; i < m; i += 2)
        {
            var two = i + 1 < m;
            var ai = a + (long)i * aRow;
            var ci = c + (long)i * ldc;
            switch (tier)
            {
                case CpuTier.Vector512: SkinnyRowPair<Vector512<float>, Lanes512>(two, n, k, alpha, ai, aStep, aRow, b, ldb, beta, ci, ldc); break;
                case CpuTier.Vector256: SkinnyRowPair<Vector256<float>, Lanes256>(two, n, k, alpha, ai, aStep, aRow, b, ldb, beta, ci, ldc); break;
                default: SkinnyRowPair<Vector128<float>, Lanes128>(two, n, k, alpha, ai, aStep, aRow, b, ldb, beta, ci, ldc); break;
            }
        }
    }

    // One or two rows of C: strips of four vectors, then single vectors, then single columns.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SkinnyRowPair<TV, TL>(bool two, int n, int k, float alpha, float* a, int aStep, int aRow, float* b, int ldb,
        float beta, float* c, int ldc) where TV : struct where TL : struct, ILanes<TV>
    {
        var w = TL.Count;
        var a1 = two ? a + aRow : a;
        var j = 0;
        for (; j + 4 * w <= n; j += 4 * w)
        {
            TV x0 = default, x1 = default, x2 = default, x3 = default, y0 = default, y1 = default, y2 = default, y3 = default;
            var bj = b + j;
            for (var p = 0; p < k; p++)
            {
                var row = bj + (long)p * ldb;
                var b0 = TL.Load(row);
                var b1 = TL.Load(row + w);
                var b2 = TL.Load(row + 2 * w);
                var b3 = TL.Load(row + 3 * w);
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
            Store6<TV, TL>(x0, x1, c + j, w, alpha, beta);
            Store6<TV, TL>(x2, x3, c + j + 2 * w, w, alpha, beta);
            if (!two) continue;
            Store6<TV, TL>(y0, y1, c + ldc + j, w, alpha, beta);
            Store6<TV, TL>(y2, y3, c + ldc + j + 2 * w, w, alpha, beta);
        }
        for (; j + w <= n; j += w)
        {
            TV x = default, y = default;
            for (var p = 0; p < k; p++)
            {
                var bv = TL.Load(b + (long)p * ldb + j);
                x = TL.MultiplyAdd(TL.Broadcast(a[(long)p * aStep]), bv, x);
                y = TL.MultiplyAdd(TL.Broadcast(a1[(long)p * aStep]), bv, y);
            }
            StoreOne<TV, TL>(x, c + j, alpha, beta);
            if (two) StoreOne<TV, TL>(y, c + ldc + j, alpha, beta);
        }
        for (; j < n; j++)
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
