// The dw kernels of the direct convolution path (CpuBackend.DirectConvolution.cs): 8-row dot products with
// AVX-512's 32 registers, 4-row ones for 256- and 128-bit vectors (16 registers on x86). (Its output tiles run
// the GEMM's micro-kernels.)
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepGpu.Backends.Cpu;

internal static unsafe class DirectConvolutionDotKernels
{
    /// <summary>
    /// 24 dot products of length n (a multiple of 16): sums[r·3 + t] = Σ_j dy[r·ld + j]·x_t[j] for 8 rows of dy
    /// and three x rows, 16 j at a time in vector lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(int n, float* dy, int ld, float* x0, float* x1, float* x2, float* sums)
    {
        var s0_0 = Vector512<float>.Zero; var s0_1 = Vector512<float>.Zero; var s0_2 = Vector512<float>.Zero;
        var s1_0 = Vector512<float>.Zero; var s1_1 = Vector512<float>.Zero; var s1_2 = Vector512<float>.Zero;
        var s2_0 = Vector512<float>.Zero; var s2_1 = Vector512<float>.Zero; var s2_2 = Vector512<float>.Zero;
        var s3_0 = Vector512<float>.Zero; var s3_1 = Vector512<float>.Zero; var s3_2 = Vector512<float>.Zero;
        var s4_0 = Vector512<float>.Zero; var s4_1 = Vector512<float>.Zero; var s4_2 = Vector512<float>.Zero;
        var s5_0 = Vector512<float>.Zero; var s5_1 = Vector512<float>.Zero; var s5_2 = Vector512<float>.Zero;
        var s6_0 = Vector512<float>.Zero; var s6_1 = Vector512<float>.Zero; var s6_2 = Vector512<float>.Zero;
        var s7_0 = Vector512<float>.Zero; var s7_1 = Vector512<float>.Zero; var s7_2 = Vector512<float>.Zero;
        var d0 = dy;
        var d1 = d0 + ld;
        var d2 = d1 + ld;
        var d3 = d2 + ld;
        var d4 = d3 + ld;
        var d5 = d4 + ld;
        var d6 = d5 + ld;
        var d7 = d6 + ld;
        for (var j = 0; j < n; j += 16)
        {
            var b0 = Vector512.Load(x0 + j);
            var b1 = Vector512.Load(x1 + j);
            var b2 = Vector512.Load(x2 + j);
            var a = Vector512.Load(d0 + j);
            s0_0 = Vector512.MultiplyAddEstimate(a, b0, s0_0); s0_1 = Vector512.MultiplyAddEstimate(a, b1, s0_1); s0_2 = Vector512.MultiplyAddEstimate(a, b2, s0_2);
            a = Vector512.Load(d1 + j);
            s1_0 = Vector512.MultiplyAddEstimate(a, b0, s1_0); s1_1 = Vector512.MultiplyAddEstimate(a, b1, s1_1); s1_2 = Vector512.MultiplyAddEstimate(a, b2, s1_2);
            a = Vector512.Load(d2 + j);
            s2_0 = Vector512.MultiplyAddEstimate(a, b0, s2_0); s2_1 = Vector512.MultiplyAddEstimate(a, b1, s2_1); s2_2 = Vector512.MultiplyAddEstimate(a, b2, s2_2);
            a = Vector512.Load(d3 + j);
            s3_0 = Vector512.MultiplyAddEstimate(a, b0, s3_0); s3_1 = Vector512.MultiplyAddEstimate(a, b1, s3_1); s3_2 = Vector512.MultiplyAddEstimate(a, b2, s3_2);
            a = Vector512.Load(d4 + j);
            s4_0 = Vector512.MultiplyAddEstimate(a, b0, s4_0); s4_1 = Vector512.MultiplyAddEstimate(a, b1, s4_1); s4_2 = Vector512.MultiplyAddEstimate(a, b2, s4_2);
            a = Vector512.Load(d5 + j);
            s5_0 = Vector512.MultiplyAddEstimate(a, b0, s5_0); s5_1 = Vector512.MultiplyAddEstimate(a, b1, s5_1); s5_2 = Vector512.MultiplyAddEstimate(a, b2, s5_2);
            a = Vector512.Load(d6 + j);
            s6_0 = Vector512.MultiplyAddEstimate(a, b0, s6_0); s6_1 = Vector512.MultiplyAddEstimate(a, b1, s6_1); s6_2 = Vector512.MultiplyAddEstimate(a, b2, s6_2);
            a = Vector512.Load(d7 + j);
            s7_0 = Vector512.MultiplyAddEstimate(a, b0, s7_0); s7_1 = Vector512.MultiplyAddEstimate(a, b1, s7_1); s7_2 = Vector512.MultiplyAddEstimate(a, b2, s7_2);
        }
        Sum4(s0_0, s0_1, s0_2, s1_0, sums);
        Sum4(s1_1, s1_2, s2_0, s2_1, sums + 4);
        Sum4(s2_2, s3_0, s3_1, s3_2, sums + 8);
        Sum4(s4_0, s4_1, s4_2, s5_0, sums + 12);
        Sum4(s5_1, s5_2, s6_0, s6_1, sums + 16);
        Sum4(s6_2, s7_0, s7_1, s7_2, sums + 20);
    }

    /// <summary>The lane sums of four vectors into four floats: halves added down to 128 bits, then a horizontal-add tree
    /// (a fifth of the instructions of four separate sums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, float* sums) =>
        Sum4(Quarter(a), Quarter(b), Quarter(c), Quarter(d), sums);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sum4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d, float* sums)
    {
        if (Sse3.IsSupported)
        {
            Sse3.HorizontalAdd(Sse3.HorizontalAdd(a, b), Sse3.HorizontalAdd(c, d)).Store(sums);
            return;
        }
        sums[0] = Vector128.Sum(a);
        sums[1] = Vector128.Sum(b);
        sums[2] = Vector128.Sum(c);
        sums[3] = Vector128.Sum(d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Quarter(Vector512<float> v)
    {
        var half = v.GetLower() + v.GetUpper();
        return half.GetLower() + half.GetUpper();
    }

    /// <summary><see cref="Dot"/> for 256-bit vectors and 4 rows of dy: 12 sums, n a multiple of 8.</summary>
    public static void Dot256(int n, float* dy, int ld, float* x0, float* x1, float* x2, float* sums) =>
        Dot4<Vector256<float>, Lanes256>(n, dy, ld, x0, x1, x2, sums);

    /// <summary><see cref="Dot"/> for 128-bit vectors and 4 rows of dy: 12 sums, n a multiple of 4.</summary>
    public static void Dot128(int n, float* dy, int ld, float* x0, float* x1, float* x2, float* sums) =>
        Dot4<Vector128<float>, Lanes128>(n, dy, ld, x0, x1, x2, sums);

    // 4 rows × 3 x rows: 12 accumulators, within the 16 registers of x86 without AVX-512.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4<TV, TL>(int n, float* dy, int ld, float* x0, float* x1, float* x2, float* sums)
        where TV : struct where TL : struct, ILanes<TV>
    {
        TV s0_0 = default, s0_1 = default, s0_2 = default, s1_0 = default, s1_1 = default, s1_2 = default;
        TV s2_0 = default, s2_1 = default, s2_2 = default, s3_0 = default, s3_1 = default, s3_2 = default;
        var d0 = dy;
        var d1 = d0 + ld;
        var d2 = d1 + ld;
        var d3 = d2 + ld;
        for (var j = 0; j < n; j += TL.Count)
        {
            var b0 = TL.Load(x0 + j);
            var b1 = TL.Load(x1 + j);
            var b2 = TL.Load(x2 + j);
            var a = TL.Load(d0 + j);
            s0_0 = TL.MultiplyAdd(a, b0, s0_0); s0_1 = TL.MultiplyAdd(a, b1, s0_1); s0_2 = TL.MultiplyAdd(a, b2, s0_2);
            a = TL.Load(d1 + j);
            s1_0 = TL.MultiplyAdd(a, b0, s1_0); s1_1 = TL.MultiplyAdd(a, b1, s1_1); s1_2 = TL.MultiplyAdd(a, b2, s1_2);
            a = TL.Load(d2 + j);
            s2_0 = TL.MultiplyAdd(a, b0, s2_0); s2_1 = TL.MultiplyAdd(a, b1, s2_1); s2_2 = TL.MultiplyAdd(a, b2, s2_2);
            a = TL.Load(d3 + j);
            s3_0 = TL.MultiplyAdd(a, b0, s3_0); s3_1 = TL.MultiplyAdd(a, b1, s3_1); s3_2 = TL.MultiplyAdd(a, b2, s3_2);
        }
        Sum4(TL.Fold(s0_0), TL.Fold(s0_1), TL.Fold(s0_2), TL.Fold(s1_0), sums);
        Sum4(TL.Fold(s1_1), TL.Fold(s1_2), TL.Fold(s2_0), TL.Fold(s2_1), sums + 4);
        Sum4(TL.Fold(s2_2), TL.Fold(s3_0), TL.Fold(s3_1), TL.Fold(s3_2), sums + 8);
    }
}
