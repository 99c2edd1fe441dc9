// The micro-kernels of the direct convolution path (CpuBackend.DirectConvolution.cs): 8×32 tiles and 8-row dot
// products with AVX-512's 32 registers, 6×16 tiles and 4-row dot products within AVX2's 16.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepGpu.Backends.Cpu;

internal static unsafe class DirectConvolution
{
    /// <summary>
    /// An 8×32 tile: c[r, q] (+)= Σ_p a[p·8 + r]·src[off[p] + q]. Like the GEMM's 8×32 kernel, except that row p
    /// of B is read where the offset table says (a shifted row of a padded image) instead of from a packed panel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, float* a, float* src, int* off, float* c, int ldc, bool accumulate)
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
            var b = src + off[p];
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
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
        Store(c0_0, c0_1, c, accumulate);
        Store(c1_0, c1_1, c + ldc, accumulate);
        Store(c2_0, c2_1, c + 2 * ldc, accumulate);
        Store(c3_0, c3_1, c + 3 * ldc, accumulate);
        Store(c4_0, c4_1, c + 4 * ldc, accumulate);
        Store(c5_0, c5_1, c + 5 * ldc, accumulate);
        Store(c6_0, c6_1, c + 6 * ldc, accumulate);
        Store(c7_0, c7_1, c + 7 * ldc, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> low, Vector512<float> high, float* c, bool accumulate)
    {
        if (accumulate)
        {
            low += Vector512.Load(c);
            high += Vector512.Load(c + 16);
        }
        Vector512.Store(low, c);
        Vector512.Store(high, c + 16);
    }

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

    /// <summary>The 6×16 tile of <see cref="Tile"/> for 256-bit vectors (12 accumulators: AVX2 has 16 registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile256(int kc, float* a, float* src, int* off, float* c, int ldc, bool accumulate)
    {
        var c0_0 = Vector256<float>.Zero; var c0_1 = Vector256<float>.Zero;
        var c1_0 = Vector256<float>.Zero; var c1_1 = Vector256<float>.Zero;
        var c2_0 = Vector256<float>.Zero; var c2_1 = Vector256<float>.Zero;
        var c3_0 = Vector256<float>.Zero; var c3_1 = Vector256<float>.Zero;
        var c4_0 = Vector256<float>.Zero; var c4_1 = Vector256<float>.Zero;
        var c5_0 = Vector256<float>.Zero; var c5_1 = Vector256<float>.Zero;
        for (var p = 0; p < kc; p++)
        {
            var b = src + off[p];
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c0_0 = Vector256.MultiplyAddEstimate(a0, b0, c0_0);
            c0_1 = Vector256.MultiplyAddEstimate(a0, b1, c0_1);
            var a1 = Vector256.Create(a[1]);
            c1_0 = Vector256.MultiplyAddEstimate(a1, b0, c1_0);
            c1_1 = Vector256.MultiplyAddEstimate(a1, b1, c1_1);
            var a2 = Vector256.Create(a[2]);
            c2_0 = Vector256.MultiplyAddEstimate(a2, b0, c2_0);
            c2_1 = Vector256.MultiplyAddEstimate(a2, b1, c2_1);
            var a3 = Vector256.Create(a[3]);
            c3_0 = Vector256.MultiplyAddEstimate(a3, b0, c3_0);
            c3_1 = Vector256.MultiplyAddEstimate(a3, b1, c3_1);
            var a4 = Vector256.Create(a[4]);
            c4_0 = Vector256.MultiplyAddEstimate(a4, b0, c4_0);
            c4_1 = Vector256.MultiplyAddEstimate(a4, b1, c4_1);
            var a5 = Vector256.Create(a[5]);
            c5_0 = Vector256.MultiplyAddEstimate(a5, b0, c5_0);
            c5_1 = Vector256.MultiplyAddEstimate(a5, b1, c5_1);
            a += 6;
        }
        Store(c0_0, c0_1, c, accumulate);
        Store(c1_0, c1_1, c + ldc, accumulate);
        Store(c2_0, c2_1, c + 2 * ldc, accumulate);
        Store(c3_0, c3_1, c + 3 * ldc, accumulate);
        Store(c4_0, c4_1, c + 4 * ldc, accumulate);
        Store(c5_0, c5_1, c + 5 * ldc, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> low, Vector256<float> high, float* c, bool accumulate)
    {
        if (accumulate)
        {
            low += Vector256.Load(c);
            high += Vector256.Load(c + 8);
        }
        Vector256.Store(low, c);
        Vector256.Store(high, c + 8);
    }

    /// <summary><see cref="Dot"/> for 256-bit vectors and 4 rows of dy: 12 sums, n a multiple of 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot256(int n, float* dy, int ld, float* x0, float* x1, float* x2, float* sums)
    {
        var s0_0 = Vector256<float>.Zero; var s0_1 = Vector256<float>.Zero; var s0_2 = Vector256<float>.Zero;
        var s1_0 = Vector256<float>.Zero; var s1_1 = Vector256<float>.Zero; var s1_2 = Vector256<float>.Zero;
        var s2_0 = Vector256<float>.Zero; var s2_1 = Vector256<float>.Zero; var s2_2 = Vector256<float>.Zero;
        var s3_0 = Vector256<float>.Zero; var s3_1 = Vector256<float>.Zero; var s3_2 = Vector256<float>.Zero;
        var d0 = dy;
        var d1 = d0 + ld;
        var d2 = d1 + ld;
        var d3 = d2 + ld;
        for (var j = 0; j < n; j += 8)
        {
            var b0 = Vector256.Load(x0 + j);
            var b1 = Vector256.Load(x1 + j);
            var b2 = Vector256.Load(x2 + j);
            var a = Vector256.Load(d0 + j);
            s0_0 = Vector256.MultiplyAddEstimate(a, b0, s0_0); s0_1 = Vector256.MultiplyAddEstimate(a, b1, s0_1); s0_2 = Vector256.MultiplyAddEstimate(a, b2, s0_2);
            a = Vector256.Load(d1 + j);
            s1_0 = Vector256.MultiplyAddEstimate(a, b0, s1_0); s1_1 = Vector256.MultiplyAddEstimate(a, b1, s1_1); s1_2 = Vector256.MultiplyAddEstimate(a, b2, s1_2);
            a = Vector256.Load(d2 + j);
            s2_0 = Vector256.MultiplyAddEstimate(a, b0, s2_0); s2_1 = Vector256.MultiplyAddEstimate(a, b1, s2_1); s2_2 = Vector256.MultiplyAddEstimate(a, b2, s2_2);
            a = Vector256.Load(d3 + j);
            s3_0 = Vector256.MultiplyAddEstimate(a, b0, s3_0); s3_1 = Vector256.MultiplyAddEstimate(a, b1, s3_1); s3_2 = Vector256.MultiplyAddEstimate(a, b2, s3_2);
        }
        Sum4(s0_0, s0_1, s0_2, s1_0, sums);
        Sum4(s1_1, s1_2, s2_0, s2_1, sums + 4);
        Sum4(s2_2, s3_0, s3_1, s3_2, sums + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d, float* sums) =>
        Sum4(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper(), c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper(), sums);
}
