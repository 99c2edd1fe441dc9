// Register-tiled GEMM micro-kernels, one per SIMD tier, fully unrolled (see Sgemm.cs for the packing). The vector
// ones read B through IRows, so the direct convolution runs them on image rows instead of packed panels.
// Each computes C[0..MR, 0..NR] = alpha·Σ_p a[p]·b[p]ᵀ + beta·C over packed panels; beta = 0 never reads C.
// The accumulators stay in registers: MR×NR/lanes of them, chosen to fit the tier's register file.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

/// <summary>Where a micro-kernel reads row p of B (NR consecutive floats).</summary>
internal unsafe interface IRows
{
    float* Row(int p);
}

/// <summary>A packed panel: row p at b + p·width.</summary>
internal readonly unsafe struct PackedRows(float* b, int width) : IRows
{
    public float* Row(int p) => b + p * width;
}

/// <summary>Rows anywhere: row p at src + off[p] (the direct convolution's shifted image rows).</summary>
internal readonly unsafe struct OffsetRows(float* src, int* off) : IRows
{
    public float* Row(int p) => src + off[p];
}

internal static partial class Sgemm
{
    // 8x32 tile: 16 Vector512 accumulators; a is packed [kc][8], b gives rows of 32.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Kernel512<TRows>(int kc, float* a, TRows b, float* c, int ldc, float alpha, float beta) where TRows : struct, IRows
    {
        var c0_0 = Vector512<float>.Zero; var c0_1 = Vector512<float>.Zero;
        var c1_0 = Vector512<float>.Zero; var c1_1 = Vector512<float>.Zero;
        var c2_0 = Vector512<float>.Zero; var c2_1 = Vector512<float>.Zero;
        var c3_0 = Vector512<float>.Zero; var c3_1 = Vector512<float>.Zero;
        var c4_0 = Vector512<float>.Zero; var c4_1 = Vector512<float>.Zero;
        var c5_0 = Vector512<float>.Zero; var c5_1 = Vector512<float>.Zero;
        var c6_0 = Vector512<float>.Zero; var c6_1 = Vector512<float>.Zero;
        var c7_0 = Vector512<float>.Zero; var c7_1 = Vector512<float>.Zero;
        for (var p = 0; p < kc; p++)
        {
            var row = b.Row(p);
            var b0 = Vector512.Load(row);
            var b1 = Vector512.Load(row + 16);
            var a0 = Vector512.Create(a[0]);
            c0_0 = Vector512.MultiplyAddEstimate(a0, b0, c0_0);
            c0_1 = Vector512.MultiplyAddEstimate(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]);
            c1_0 = Vector512.MultiplyAddEstimate(a1, b0, c1_0);
            c1_1 = Vector512.MultiplyAddEstimate(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]);
            c2_0 = Vector512.MultiplyAddEstimate(a2, b0, c2_0);
            c2_1 = Vector512.MultiplyAddEstimate(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]);
            c3_0 = Vector512.MultiplyAddEstimate(a3, b0, c3_0);
            c3_1 = Vector512.MultiplyAddEstimate(a3, b1, c3_1);
            var a4 = Vector512.Create(a[4]);
            c4_0 = Vector512.MultiplyAddEstimate(a4, b0, c4_0);
            c4_1 = Vector512.MultiplyAddEstimate(a4, b1, c4_1);
            var a5 = Vector512.Create(a[5]);
            c5_0 = Vector512.MultiplyAddEstimate(a5, b0, c5_0);
            c5_1 = Vector512.MultiplyAddEstimate(a5, b1, c5_1);
            var a6 = Vector512.Create(a[6]);
            c6_0 = Vector512.MultiplyAddEstimate(a6, b0, c6_0);
            c6_1 = Vector512.MultiplyAddEstimate(a6, b1, c6_1);
            var a7 = Vector512.Create(a[7]);
            c7_0 = Vector512.MultiplyAddEstimate(a7, b0, c7_0);
            c7_1 = Vector512.MultiplyAddEstimate(a7, b1, c7_1);
            a += 8;
        }
        var va = Vector512.Create(alpha);
        if (beta == 0f)
        {
            Vector512.Store(c0_0 * va, c + 0 * ldc + 0);
            Vector512.Store(c0_1 * va, c + 0 * ldc + 16);
            Vector512.Store(c1_0 * va, c + 1 * ldc + 0);
            Vector512.Store(c1_1 * va, c + 1 * ldc + 16);
            Vector512.Store(c2_0 * va, c + 2 * ldc + 0);
            Vector512.Store(c2_1 * va, c + 2 * ldc + 16);
            Vector512.Store(c3_0 * va, c + 3 * ldc + 0);
            Vector512.Store(c3_1 * va, c + 3 * ldc + 16);
            Vector512.Store(c4_0 * va, c + 4 * ldc + 0);
            Vector512.Store(c4_1 * va, c + 4 * ldc + 16);
            Vector512.Store(c5_0 * va, c + 5 * ldc + 0);
            Vector512.Store(c5_1 * va, c + 5 * ldc + 16);
            Vector512.Store(c6_0 * va, c + 6 * ldc + 0);
            Vector512.Store(c6_1 * va, c + 6 * ldc + 16);
            Vector512.Store(c7_0 * va, c + 7 * ldc + 0);
            Vector512.Store(c7_1 * va, c + 7 * ldc + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Vector512.Store(Vector512.MultiplyAddEstimate(c0_0, va, Vector512.Load(c + 0 * ldc + 0) * vb), c + 0 * ldc + 0);
            Vector512.Store(Vector512.MultiplyAddEstimate(c0_1, va, Vector512.Load(c + 0 * ldc + 16) * vb), c + 0 * ldc + 16);
            Vector512.Store(Vector512.MultiplyAddEstimate(c1_0, va, Vector512.Load(c + 1 * ldc + 0) * vb), c + 1 * ldc + 0);
            Vector512.Store(Vector512.MultiplyAddEstimate(c1_1, va, Vector512.Load(c + 1 * ldc + 16) * vb), c + 1 * ldc + 16);
            Vector512.Store(Vector512.MultiplyAddEstimate(c2_0, va, Vector512.Load(c + 2 * ldc + 0) * vb), c + 2 * ldc + 0);
            Vector512.Store(Vector512.MultiplyAddEstimate(c2_1, va, Vector512.Load(c + 2 * ldc + 16) * vb), c + 2 * ldc + 16);
            Vector512.Store(Vector512.MultiplyAddEstimate(c3_0, va, Vector512.Load(c + 3 * ldc + 0) * vb), c + 3 * ldc + 0);
            Vector512.Store(Vector512.MultiplyAddEstimate(c3_1, va, Vector512.Load(c + 3 * ldc + 16) * vb), c + 3 * ldc + 16);
            Vector512.Store(Vector512.MultiplyAddEstimate(c4_0, va, Vector512.Load(c + 4 * ldc + 0) * vb), c + 4 * ldc + 0);
            Vector512.Store(Vector512.MultiplyAddEstimate(c4_1, va, Vector512.Load(c + 4 * ldc + 16) * vb), c + 4 * ldc + 16);
            Vector512.Store(Vector512.MultiplyAddEstimate(c5_0, va, Vector512.Load(c + 5 * ldc + 0) * vb), c + 5 * ldc + 0);
            Vector512.Store(Vector512.MultiplyAddEstimate(c5_1, va, Vector512.Load(c + 5 * ldc + 16) * vb), c + 5 * ldc + 16);
            Vector512.Store(Vector512.MultiplyAddEstimate(c6_0, va, Vector512.Load(c + 6 * ldc + 0) * vb), c + 6 * ldc + 0);
            Vector512.Store(Vector512.MultiplyAddEstimate(c6_1, va, Vector512.Load(c + 6 * ldc + 16) * vb), c + 6 * ldc + 16);
            Vector512.Store(Vector512.MultiplyAddEstimate(c7_0, va, Vector512.Load(c + 7 * ldc + 0) * vb), c + 7 * ldc + 0);
            Vector512.Store(Vector512.MultiplyAddEstimate(c7_1, va, Vector512.Load(c + 7 * ldc + 16) * vb), c + 7 * ldc + 16);
        }
    }

    // 6x16 (AVX2) and 6x8 (128-bit) tiles: 12 accumulators; a is packed [kc][6], b gives rows of two vectors.
    internal static unsafe void Kernel256<TRows>(int kc, float* a, TRows b, float* c, int ldc, float alpha, float beta) where TRows : struct, IRows =>
        Kernel6<Vector256<float>, Lanes256, TRows>(kc, a, b, c, ldc, alpha, beta);

    internal static unsafe void Kernel128<TRows>(int kc, float* a, TRows b, float* c, int ldc, float alpha, float beta) where TRows : struct, IRows =>
        Kernel6<Vector128<float>, Lanes128, TRows>(kc, a, b, c, ldc, alpha, beta);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel6<TV, TL, TRows>(int kc, float* a, TRows b, float* c, int ldc, float alpha, float beta)
        where TV : struct where TL : struct, ILanes<TV> where TRows : struct, IRows
    {
        TV c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default;
        TV c3_0 = default, c3_1 = default, c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;
        var n = TL.Count;
        for (var p = 0; p < kc; p++)
        {
            var row = b.Row(p);
            var b0 = TL.Load(row);
            var b1 = TL.Load(row + n);
            var a0 = TL.Broadcast(a[0]);
            c0_0 = TL.MultiplyAdd(a0, b0, c0_0);
            c0_1 = TL.MultiplyAdd(a0, b1, c0_1);
            var a1 = TL.Broadcast(a[1]);
            c1_0 = TL.MultiplyAdd(a1, b0, c1_0);
            c1_1 = TL.MultiplyAdd(a1, b1, c1_1);
            var a2 = TL.Broadcast(a[2]);
            c2_0 = TL.MultiplyAdd(a2, b0, c2_0);
            c2_1 = TL.MultiplyAdd(a2, b1, c2_1);
            var a3 = TL.Broadcast(a[3]);
            c3_0 = TL.MultiplyAdd(a3, b0, c3_0);
            c3_1 = TL.MultiplyAdd(a3, b1, c3_1);
            var a4 = TL.Broadcast(a[4]);
            c4_0 = TL.MultiplyAdd(a4, b0, c4_0);
            c4_1 = TL.MultiplyAdd(a4, b1, c4_1);
            var a5 = TL.Broadcast(a[5]);
            c5_0 = TL.MultiplyAdd(a5, b0, c5_0);
            c5_1 = TL.MultiplyAdd(a5, b1, c5_1);
            a += 6;
        }
        Store6<TV, TL>(c0_0, c0_1, c, n, alpha, beta);
        Store6<TV, TL>(c1_0, c1_1, c + ldc, n, alpha, beta);
        Store6<TV, TL>(c2_0, c2_1, c + 2 * ldc, n, alpha, beta);
        Store6<TV, TL>(c3_0, c3_1, c + 3 * ldc, n, alpha, beta);
        Store6<TV, TL>(c4_0, c4_1, c + 4 * ldc, n, alpha, beta);
        Store6<TV, TL>(c5_0, c5_1, c + 5 * ldc, n, alpha, beta);
    }

    // One row of a tile: c = alpha·acc + beta·c (beta = 0 never reads c).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store6<TV, TL>(TV low, TV high, float* c, int n, float alpha, float beta) where TV : struct where TL : struct, ILanes<TV>
    {
        var va = TL.Broadcast(alpha);
        if (beta == 0f)
        {
            TL.Store(TL.Multiply(low, va), c);
            TL.Store(TL.Multiply(high, va), c + n);
            return;
        }
        var vb = TL.Broadcast(beta);
        TL.Store(TL.MultiplyAdd(low, va, TL.Multiply(TL.Load(c), vb)), c);
        TL.Store(TL.MultiplyAdd(high, va, TL.Multiply(TL.Load(c + n), vb)), c + n);
    }
}
