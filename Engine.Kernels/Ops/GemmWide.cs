// The wide register-tiled GEMM (GemmKernels.Wide): 128x128 block tile, 8x8 outputs per thread, K step 8, 256 threads
// (16x16). Each step a thread loads one 16-byte vector of A and one of B for the next step while the current tiles are
// multiplied (double-buffered shared memory, one barrier a step). Only for what it was written for: A and B dense,
// neither transposed nor read through a derivative, no bias-gradient sums, M and N multiples of 128, K of 8, and
// both views starting on a 16-byte boundary (the backend checks this when it chooses the kernel); bias, activation
// and beta are applied as by the other kernels. The body is unrolled by hand because ILGPU 1.5.3 does not unroll.
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Util;

namespace DeepGpu.Kernels;

public static partial class GemmKernels
{
    /// <summary>
    /// Register-tiled GEMM for large aligned shapes: 128x128 block tile, 8x8 outputs per thread, K step 8, tiles loaded
    /// with 16-byte vector loads into double-buffered shared memory (see the file header for when it applies).
    /// </summary>
    public static void Wide(GemmArgs g, ArrayView<float> a, ArrayView<float> auxA, ArrayView<float> b, ArrayView<float> auxB,
        ArrayView<float> c, ArrayView<float> bias, ArrayView<float> sums)
    {
        // Two buffers of each tile, k-major: A's rows padded to 132 floats (its transposed stores hit distinct banks),
        // tileA[buffer·1056 + kk·132 + i], tileB[buffer·1024 + kk·128 + j].
        var tileA = SharedMemory.Allocate<Float4>(2 * WideAVectors);
        var tileB = SharedMemory.Allocate<Float4>(2 * 256);
        var tileAScalar = tileA.Cast<float>();
        var aVectors = a.AsAligned16().Cast<Float4>();
        var bVectors = b.AsAligned16().Cast<Float4>();
        int tx = Group.IdxX, ty = Group.IdxY;
        var tid = ty * 16 + tx;
        var rowBase = Grid.IdxY * 128;
        var colBase = Grid.IdxX * 128;
        // Loads: A's row tid/2, four k from (tid%2)·4, stored transposed; B's k row tid/32, four columns from (tid%32)·4.
        var loadRow = tid >> 1;
        var loadK = (tid & 1) * 4;
        var aIndex = ((rowBase + loadRow) * g.K + loadK) >> 2;
        var loadKb = tid >> 5;
        var bIndex = (loadKb * g.N + colBase + (tid & 31) * 4) >> 2;
        var bStep = (8 * g.N) >> 2;
        var nextA = aVectors[aIndex];
        var nextB = bVectors[bIndex];
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
        float c40 = 0, c41 = 0, c42 = 0, c43 = 0, c44 = 0, c45 = 0, c46 = 0, c47 = 0;
        float c50 = 0, c51 = 0, c52 = 0, c53 = 0, c54 = 0, c55 = 0, c56 = 0, c57 = 0;
        float c60 = 0, c61 = 0, c62 = 0, c63 = 0, c64 = 0, c65 = 0, c66 = 0, c67 = 0;
        float c70 = 0, c71 = 0, c72 = 0, c73 = 0, c74 = 0, c75 = 0, c76 = 0, c77 = 0;
        var buffer = 0;
        StoreWideTiles(tileAScalar, tileB, 0, loadRow, loadK, loadKb, tid & 31, nextA, nextB);
        Group.Barrier();
        for (var k0 = 0; k0 < g.K; k0 += 8)
        {
            var more = k0 + 8 < g.K;
            if (more)
            {
                // The next tiles come from global memory while this one is multiplied.
                aIndex += 2;
                bIndex += bStep;
                nextA = aVectors[aIndex];
                nextB = bVectors[bIndex];
            }
            for (var kk = 0; kk < 8; kk++)
            {
                var oa = buffer * WideAVectors + kk * 33;
                var ob = buffer * 256 + kk * 32;
                var aLow = tileA[oa + ty];
                var aHigh = tileA[oa + 16 + ty];
                var bLow = tileB[ob + tx];
                var bHigh = tileB[ob + 16 + tx];
                float a0 = aLow.X, a1 = aLow.Y, a2 = aLow.Z, a3 = aLow.W, a4 = aHigh.X, a5 = aHigh.Y, a6 = aHigh.Z, a7 = aHigh.W;
                float b0 = bLow.X, b1 = bLow.Y, b2 = bLow.Z, b3 = bLow.W, b4 = bHigh.X, b5 = bHigh.Y, b6 = bHigh.Z, b7 = bHigh.W;
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
                c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3; c44 += a4 * b4; c45 += a4 * b5; c46 += a4 * b6; c47 += a4 * b7;
                c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3; c54 += a5 * b4; c55 += a5 * b5; c56 += a5 * b6; c57 += a5 * b7;
                c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3; c64 += a6 * b4; c65 += a6 * b5; c66 += a6 * b6; c67 += a6 * b7;
                c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3; c74 += a7 * b4; c75 += a7 * b5; c76 += a7 * b6; c77 += a7 * b7;
            }
            if (more) StoreWideTiles(tileAScalar, tileB, buffer ^ 1, loadRow, loadK, loadKb, tid & 31, nextA, nextB);
            // One barrier a step: the buffer written now was last read before the previous barrier.
            Group.Barrier();
            buffer ^= 1;
        }
        int r0 = rowBase + ty * 4, r1 = r0 + 1, r2 = r0 + 2, r3 = r0 + 3, r4 = r0 + 64, r5 = r0 + 65, r6 = r0 + 66, r7 = r0 + 67;
        int q0 = colBase + tx * 4, q1 = q0 + 1, q2 = q0 + 2, q3 = q0 + 3, q4 = q0 + 64, q5 = q0 + 65, q6 = q0 + 66, q7 = q0 + 67;
        Finish(g, c, bias, r0, q0, c00); Finish(g, c, bias, r0, q1, c01); Finish(g, c, bias, r0, q2, c02); Finish(g, c, bias, r0, q3, c03);
        Finish(g, c, bias, r0, q4, c04); Finish(g, c, bias, r0, q5, c05); Finish(g, c, bias, r0, q6, c06); Finish(g, c, bias, r0, q7, c07);
        Finish(g, c, bias, r1, q0, c10); Finish(g, c, bias, r1, q1, c11); Finish(g, c, bias, r1, q2, c12); Finish(g, c, bias, r1, q3, c13);
        Finish(g, c, bias, r1, q4, c14); Finish(g, c, bias, r1, q5, c15); Finish(g, c, bias, r1, q6, c16); Finish(g, c, bias, r1, q7, c17);
        Finish(g, c, bias, r2, q0, c20); Finish(g, c, bias, r2, q1, c21); Finish(g, c, bias, r2, q2, c22); Finish(g, c, bias, r2, q3, c23);
        Finish(g, c, bias, r2, q4, c24); Finish(g, c, bias, r2, q5, c25); Finish(g, c, bias, r2, q6, c26); Finish(g, c, bias, r2, q7, c27);
        Finish(g, c, bias, r3, q0, c30); Finish(g, c, bias, r3, q1, c31); Finish(g, c, bias, r3, q2, c32); Finish(g, c, bias, r3, q3, c33);
        Finish(g, c, bias, r3, q4, c34); Finish(g, c, bias, r3, q5, c35); Finish(g, c, bias, r3, q6, c36); Finish(g, c, bias, r3, q7, c37);
        Finish(g, c, bias, r4, q0, c40); Finish(g, c, bias, r4, q1, c41); Finish(g, c, bias, r4, q2, c42); Finish(g, c, bias, r4, q3, c43);
        Finish(g, c, bias, r4, q4, c44); Finish(g, c, bias, r4, q5, c45); Finish(g, c, bias, r4, q6, c46); Finish(g, c, bias, r4, q7, c47);
        Finish(g, c, bias, r5, q0, c50); Finish(g, c, bias, r5, q1, c51); Finish(g, c, bias, r5, q2, c52); Finish(g, c, bias, r5, q3, c53);
        Finish(g, c, bias, r5, q4, c54); Finish(g, c, bias, r5, q5, c55); Finish(g, c, bias, r5, q6, c56); Finish(g, c, bias, r5, q7, c57);
        Finish(g, c, bias, r6, q0, c60); Finish(g, c, bias, r6, q1, c61); Finish(g, c, bias, r6, q2, c62); Finish(g, c, bias, r6, q3, c63);
        Finish(g, c, bias, r6, q4, c64); Finish(g, c, bias, r6, q5, c65); Finish(g, c, bias, r6, q6, c66); Finish(g, c, bias, r6, q7, c67);
        Finish(g, c, bias, r7, q0, c70); Finish(g, c, bias, r7, q1, c71); Finish(g, c, bias, r7, q2, c72); Finish(g, c, bias, r7, q3, c73);
        Finish(g, c, bias, r7, q4, c74); Finish(g, c, bias, r7, q5, c75); Finish(g, c, bias, r7, q6, c76); Finish(g, c, bias, r7, q7, c77);
    }

    /// <summary>Float4s in one buffer of Wide's A tile: 8 k rows of 132 floats.</summary>
    private const int WideAVectors = 8 * 33;

    /// <summary>One thread's share of a Wide tile pair into shared buffer <paramref name="buffer"/>: A transposed, B as loaded.</summary>
    private static void StoreWideTiles(ArrayView<float> tileA, ArrayView<Float4> tileB, int buffer, int row, int k, int kb, int column4,
        Float4 a, Float4 b)
    {
        var o = buffer * 4 * WideAVectors + k * 132 + row;
        tileA[o] = a.X;
        tileA[o + 132] = a.Y;
        tileA[o + 264] = a.Z;
        tileA[o + 396] = a.W;
        tileB[buffer * 256 + kb * 32 + column4] = b;
    }
}
